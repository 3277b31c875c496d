using Microsoft.Extensions.Logging;

namespace OrleansGate.IntegrationTests.Fixtures;

/// <summary>One log call as a provider receives it: the rendered message and the structured values behind it.</summary>
public sealed record CapturedLogEntry(
    string Category,
    LogLevel Level,
    EventId EventId,
    string Message,
    IReadOnlyList<KeyValuePair<string, object?>> Values,
    string? Exception)
{
    /// <summary>The structured value named <paramref name="name"/> as text, or null.</summary>
    public string? Value(string name) => Values.FirstOrDefault(v => v.Key == name).Value?.ToString();

    /// <summary>Whether <paramref name="text"/> appears anywhere a log sink could write it.</summary>
    public bool Contains(string text) =>
        Message.Contains(text, StringComparison.Ordinal)
        || (Exception?.Contains(text, StringComparison.Ordinal) ?? false)
        || Values.Any(v => v.Value?.ToString()?.Contains(text, StringComparison.Ordinal) ?? false);
}
