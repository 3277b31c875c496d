using OrleansGate.Edge.Sessions;
using OrleansGate.Model;

namespace OrleansGate.Edge.Http;

/// <summary>
/// One agent's session on the HTTP path: one token, one target. Opened at its first request (registered with the agent
/// grain and its Login record durable, as a PostgreSQL login), used by every request with the same token, and ended by
/// a revocation (every request in flight, a running watch too, is aborted at once), its token's expiry or idleness.
/// </summary>
public sealed class AgentHttpSession(SessionInfo info, EdgeSession edge, TimeProvider time)
{
    private readonly CancellationTokenSource _ended = new();
    private int _inFlight;
    private long _lastUsedTicks = time.GetUtcNow().UtcTicks;

    public SessionInfo Info { get; } = info;

    public EdgeSession Edge { get; } = edge;

    /// <summary>Cancelled when the session ends; requests in flight abort their connection on it.</summary>
    public CancellationToken Ended => _ended.Token;

    public bool IsEnded => _ended.IsCancellationRequested;

    /// <summary>Why the session ended (null while it is open).</summary>
    public string? EndReason { get; private set; }

    /// <summary>Marks a request as running; <see cref="Done"/> when it has ended.</summary>
    public void Begin()
    {
        Interlocked.Increment(ref _inFlight);
        Interlocked.Exchange(ref _lastUsedTicks, time.GetUtcNow().UtcTicks);
    }

    public void Done()
    {
        Interlocked.Decrement(ref _inFlight);
        Interlocked.Exchange(ref _lastUsedTicks, time.GetUtcNow().UtcTicks);
    }

    /// <summary>True when no request runs and none has for <paramref name="idle"/>.</summary>
    public bool IsIdle(TimeSpan idle) =>
        Volatile.Read(ref _inFlight) == 0 && time.GetUtcNow().UtcTicks - Interlocked.Read(ref _lastUsedTicks) >= idle.Ticks;

    /// <summary>Ends the session once; false when it had ended already.</summary>
    public bool End(string reason)
    {
        lock (_ended)
        {
            if (_ended.IsCancellationRequested)
            {
                return false;
            }

            EndReason = reason;
        }

        _ended.Cancel();
        return true;
    }
}
