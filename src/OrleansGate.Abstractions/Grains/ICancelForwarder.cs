namespace OrleansGate.Grains;

/// <summary>
/// One per edge process: another edge that received a CancelRequest for a session this edge holds hands it over
/// here. The edge checks the secret itself, so a forwarded key that is wrong still cancels nothing.
/// </summary>
[Alias("OrleansGate.ICancelForwarder")]
public interface ICancelForwarder : IGrainObserver
{
    /// <summary>Cancels the statement of this edge's session with that key; an unknown key or a wrong secret is ignored.</summary>
    [Alias("Cancel")]
    Task Cancel(int processId, int secretKey);
}
