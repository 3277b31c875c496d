using System.Collections.Concurrent;
using OrleansGate.Grains;

namespace OrleansGate.Edge.Sessions;

/// <summary>
/// The sessions this edge process holds, and the one observer through which the cluster closes them.
/// Agent grains receive <see cref="Terminator"/> with every session registration.
/// </summary>
public sealed class EdgeSessionRegistry : ISessionTerminator
{
    private readonly ConcurrentDictionary<string, Action<string>> _sessions = new(StringComparer.Ordinal);
    private readonly Lazy<ISessionTerminator> _reference;

    public EdgeSessionRegistry(IGrainFactory grains)
    {
        _reference = new Lazy<ISessionTerminator>(() => grains.CreateObjectReference<ISessionTerminator>(this));
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
        var closed = 0;
        foreach (var id in sessionIds)
        {
            if (_sessions.TryRemove(id, out var terminate))
            {
                terminate(reason);
                closed++;
            }
        }

        return Task.FromResult(closed);
    }
}
