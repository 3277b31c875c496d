using OrleansGate.Grains;
using OrleansGate.Model;

namespace OrleansGate.Host.Approvals;

/// <summary>Votes through the approval's grain.</summary>
public sealed class GrainApprovalVoter(IGrainFactory grains) : IApprovalVoter
{
    public Task<ApprovalVoteResult> VoteAsync(string approvalId, ApprovalVote vote) =>
        grains.GetGrain<IApprovalGrain>(approvalId).Vote(vote);
}
