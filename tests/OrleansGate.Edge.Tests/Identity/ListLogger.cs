using Microsoft.Extensions.Logging;

namespace OrleansGate.Edge.Tests.Identity;

/// <summary>Keeps every formatted log line (with its exception text) so tests can check what would be written.</summary>
internal sealed class ListLogger<T> : ILogger<T>
{
    private readonly List<string> _lines = [];

    public IReadOnlyList<string> Lines => _lines;

    public string All => string.Join("\n", _lines);

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_lines)
        {
            _lines.Add($"{logLevel}: {formatter(state, exception)} {exception}");
        }
    }
}
