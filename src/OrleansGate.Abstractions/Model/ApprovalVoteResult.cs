namespace OrleansGate.Model;

/// <summary>The outcome of a vote, and the approval as it stands after it (null when there is none).</summary>
[GenerateSerializer, Immutable]
public sealed record ApprovalVoteResult(
    [property: Id(0)] ApprovalVoteOutcome Outcome,
    [property: Id(1)] ApprovalView? Approval,
    [property: Id(2)] string Message);
