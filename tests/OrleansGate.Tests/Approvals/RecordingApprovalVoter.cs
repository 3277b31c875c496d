using System.Collections.Concurrent;
using OrleansGate.Host.Approvals;
using OrleansGate.Model;

namespace OrleansGate.Tests.Approvals;

/// <summary>A stand-in for the approval grain: records each vote and answers that it was counted.</summary>
internal sealed class RecordingApprovalVoter : IApprovalVoter
{
    private readonly ConcurrentQueue<(string ApprovalId, ApprovalVote Vote)> _votes = new();

    public IReadOnlyList<(string ApprovalId, ApprovalVote Vote)> Votes => [.. _votes];

    public Task<ApprovalVoteResult> VoteAsync(string approvalId, ApprovalVote vote)
    {
        _votes.Enqueue((approvalId, vote));
        return Task.FromResult(new ApprovalVoteResult(ApprovalVoteOutcome.Counted, null, $"{vote.Approver.Subject}'s vote on {approvalId} is counted; 1 more approval needed"));
    }
}
