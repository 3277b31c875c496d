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

    /// <summary>
    /// Records a refusal the edge made without <see cref="Authorize"/> (rare: unknown statement or portal names, the
    /// statement limit, a repeated refusal); false when the audit store could not take it. The refusal stands either way.
    /// </summary>
    [Alias("Refused")]
    Task<bool> Refused(EdgeRefusal refusal);

    /// <summary>
    /// Completions that could not wait for the next statement (many executions of a prepared statement); false when
    /// the audit store could not take them (nothing of them was written).
    /// </summary>
    [Alias("Completed")]
    Task<bool> Completed(IReadOnlyList<StatementCompletion> completions);

    [Alias("Close")]
    Task Close(string reason, IReadOnlyList<StatementCompletion> completions);
}
