using System.Text.Json;
using System.Text.Json.Nodes;
using ModelContextProtocol.Protocol;

namespace OrleansGate.Host.Mcp;

/// <summary>Tool results: a JSON document (as text, and as structured content), or an error explained in text.</summary>
public static class McpToolResults
{
    private static readonly JsonSerializerOptions Compact = new() { WriteIndented = false };

    public static CallToolResult Json(JsonObject document, bool isError = false)
    {
        ArgumentNullException.ThrowIfNull(document);
        var text = document.ToJsonString(Compact);
        return new CallToolResult
        {
            Content = [new TextContentBlock { Text = text }],
            StructuredContent = JsonDocument.Parse(text).RootElement.Clone(),
            IsError = isError,
        };
    }

    /// <summary>A refusal or failure the agent reads; <paramref name="text"/> names the rule where there is one.</summary>
    public static CallToolResult Error(string text) => new()
    {
        Content = [new TextContentBlock { Text = text }],
        IsError = true,
    };
}
