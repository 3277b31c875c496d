using System.Text.Json.Serialization;

namespace OrleansGate.Host.Mcp;

/// <summary>The body of a 401 on <c>/mcp</c> (the header is what MCP clients read; this is for people).</summary>
public sealed record McpAuthProblem([property: JsonPropertyName("error")] string Error);

/// <summary>Source-generated JSON for the MCP endpoint's own documents (the host is trimmed-safe: no reflection).</summary>
[JsonSerializable(typeof(McpAuthProblem))]
internal sealed partial class McpJsonContext : JsonSerializerContext;
