using Microsoft.Extensions.Logging;

namespace OrleansGate.IntegrationTests.Fixtures;

/// <summary>The logger <see cref="CapturedLog"/> hands out: records every enabled call, scopes ignored.</summary>
internal sealed class CapturedLogger(CapturedLog log, string category) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        var values = state as IReadOnlyList<KeyValuePair<string, object?>> ?? [];
        log.Add(new CapturedLogEntry(category, logLevel, eventId, formatter(state, exception), [.. values], exception?.ToString()));
    }
}
