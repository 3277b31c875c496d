using OrleansGate.Model;

namespace OrleansGate.Grains;

/// <summary>
/// One client connection. Every statement passes through <see cref="Authorize"/>; the grain is placed
/// on the caller's silo so the call normally stays in-process.
/// </summary>
[Alias("OrleansGate.ISessionGrain")]
public interface ISessionGrain : IGrainWithStringKey
{
    [Alias("Open")]
    Task Open(SessionInfo session);

    [Alias("Authorize")]
    Task<Decision> Authorize(StatementRequest request);

    [Alias("Close")]
    Task Close(string reason);
}
