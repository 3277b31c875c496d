using OrleansGate.Model;

namespace OrleansGate.Host.Approvals;

/// <summary>Casts a vote on an approval: the approval grain in the cluster (<see cref="GrainApprovalVoter"/>), or a stand-in in tests.</summary>
public interface IApprovalVoter
{
    Task<ApprovalVoteResult> VoteAsync(string approvalId, ApprovalVote vote);
}
