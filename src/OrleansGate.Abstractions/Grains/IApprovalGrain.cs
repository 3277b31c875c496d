using Orleans.Concurrency;
using OrleansGate.Model;

namespace OrleansGate.Grains;

/// <summary>
/// One approval (key: its id): pending → approved | denied | expired | withdrawn, decided exactly once. Its state is
/// persisted before <see cref="Open"/> returns, so the id an agent is told survives the loss of any node; expiry is an
/// Orleans reminder, so whichever silo holds it next expires it.
/// </summary>
[Alias("OrleansGate.IApprovalGrain")]
public interface IApprovalGrain : IGrainWithStringKey
{
    /// <summary>Opens the approval for <paramref name="request"/> (idempotent: a second call returns what the first made).</summary>
    [Alias("Open")]
    Task<ApprovalView> Open(ApprovalRequest request);

    /// <summary>The approval as it stands (expiring it first when its time has passed); null when no approval has this id.</summary>
    [Alias("Get")]
    Task<ApprovalView?> Get();

    /// <summary>Counts <paramref name="vote"/> or says why not; nothing changes unless its audit record is written.</summary>
    [Alias("Vote")]
    Task<ApprovalVoteResult> Vote(ApprovalVote vote);

    /// <summary>Withdraws a pending approval (the agent stopped waiting); returns it as it stands after.</summary>
    [Alias("Withdraw")]
    Task<ApprovalView?> Withdraw(string reason);

    /// <summary>
    /// Returns once the approval is decided or <paramref name="atMost"/> has passed, whichever is first (a long poll:
    /// the caller asks again while it is pending, so a silo lost meanwhile costs one retry, not the approval).
    /// </summary>
    [Alias("WaitDecided"), AlwaysInterleave]
    Task<ApprovalView?> WaitDecided(TimeSpan atMost);
}
