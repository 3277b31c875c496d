using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using OrleansGate.Grains;

namespace OrleansGate.Edge.Sessions;

/// <summary>
/// The sessions this edge process holds, and the one observer through which the cluster closes them.
/// Agent grains receive <see cref="Terminator"/> with every session registration.
/// </summary>
public sealed partial class EdgeSessionRegistry : ISessionTerminator
{
    private readonly ConcurrentDictionary<string, Action<string>> _sessions = new(StringComparer.Ordinal);
    private readonly Lazy<ISessionTerminator> _reference;
    private readonly ILogger _logger;

    public EdgeSessionRegistry(IGrainFactory grains, ILogger<EdgeSessionRegistry> logger)
    {
        _reference = new Lazy<ISessionTerminator>(() => grains.CreateObjectReference<ISessionTerminator>(this));
        _logger = logger;
    }

    /// <summary>The reference agent grains call back on (created once; it lives as long as this process).</summary>
    public ISessionTerminator Terminator => _reference.Value;

    public int Count => _sessions.Count;

    /// <summary>Registers a live session; <paramref name="terminate"/> is called with the reason if the cluster closes it.</summary>
    public void Add(string sessionId, Action<string> terminate) => _sessions[sessionId] = terminate;

    public void Remove(string sessionId) => _sessions.TryRemove(sessionId, out _);

    public Task<IReadOnlyList<string>> Live(IReadOnlyList<string> sessionIds)
    {
        ArgumentNullException.ThrowIfNull(sessionIds);
        return Task.FromResult<IReadOnlyList<string>>([.. sessionIds.Where(_sessions.ContainsKey)]);
    }

    public Task<int> Terminate(IReadOnlyList<string> sessionIds, string reason)
    {
        ArgumentNullException.ThrowIfNull(sessionIds);
        return Task.FromResult(TerminateHeld(sessionIds, reason));
    }

    /// <summary>
    /// Ends every session this edge holds. Called when this edge (an Orleans client) has lost its last gateway: its
    /// sessions can decide nothing without the cluster, and once the gateways drop this client, agent grains drop its
    /// sessions from their live lists (AgentGrain.Liveness.cs), out of reach of any later revocation. So they must not
    /// outlive the loss; clients reconnect, and log in again once the cluster answers.
    /// </summary>
    public int TerminateAll(string reason)
    {
        var closed = TerminateHeld([.. _sessions.Keys], reason);
        if (closed > 0)
        {
            LogTerminatedAll(_logger, closed, reason);
        }

        return closed;
    }

    private int TerminateHeld(IEnumerable<string> sessionIds, string reason)
    {
        var closed = 0;
        foreach (var id in sessionIds)
        {
            if (_sessions.TryRemove(id, out var terminate))
            {
                terminate(reason);
                closed++;
            }
        }

        return closed;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ended all {Count} session(s) of this edge: {Reason}")]
    private static partial void LogTerminatedAll(ILogger logger, int count, string reason);
}
