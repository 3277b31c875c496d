using System.Text.Json;

namespace OrleansGate.Host.Mcp;

/// <summary>One call's arguments, read as the tool's input schema says; anything else is a refusal naming the argument.</summary>
public sealed class McpToolArguments(IDictionary<string, JsonElement>? arguments)
{
    public string RequiredString(string name) =>
        OptionalString(name) is { Length: > 0 } value ? value : throw new McpToolRefusal($"argument '{name}' is required (a non-empty string)");

    public string? OptionalString(string name)
    {
        if (arguments is null || !arguments.TryGetValue(name, out var value) || value.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String ? value.GetString() : throw new McpToolRefusal($"argument '{name}' must be a string");
    }

    public int Integer(string name, int fallback, int min, int max)
    {
        if (arguments is null || !arguments.TryGetValue(name, out var value) || value.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
        {
            return fallback;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var number) || number < min || number > max)
        {
            throw new McpToolRefusal($"argument '{name}' must be an integer from {min} to {max}");
        }

        return number;
    }

    /// <summary>A body: a string as it is, any other JSON value as its JSON text; null when absent.</summary>
    public string? Body(string name)
    {
        if (arguments is null || !arguments.TryGetValue(name, out var value) || value.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText();
    }
}
