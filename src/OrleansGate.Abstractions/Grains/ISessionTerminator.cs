namespace OrleansGate.Grains;

/// <summary>
/// One per edge process: the agent grain calls it to close sessions that edge holds (revocation).
/// An observer, so the call reaches the edge wherever the agent grain lives.
/// </summary>
[Alias("OrleansGate.ISessionTerminator")]
public interface ISessionTerminator : IGrainObserver
{
    /// <summary>Closes those of <paramref name="sessionIds"/> this edge holds; returns how many that was (ids it does not hold are ignored).</summary>
    [Alias("Terminate")]
    Task<int> Terminate(IReadOnlyList<string> sessionIds, string reason);

    /// <summary>Those of <paramref name="sessionIds"/> this edge still holds (a session it lost is over).</summary>
    [Alias("Live")]
    Task<IReadOnlyList<string>> Live(IReadOnlyList<string> sessionIds);
}
