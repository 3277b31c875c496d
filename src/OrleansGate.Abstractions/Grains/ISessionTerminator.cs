namespace OrleansGate.Grains;

/// <summary>
/// One per edge process: the agent grain calls it to close sessions that edge holds (revocation).
/// An observer, so the call reaches the edge wherever the agent grain lives.
/// </summary>
[Alias("OrleansGate.ISessionTerminator")]
public interface ISessionTerminator : IGrainObserver
{
    [Alias("Terminate")]
    Task Terminate(IReadOnlyList<string> sessionIds, string reason);
}
