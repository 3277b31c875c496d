namespace OrleansGate.Model;

/// <summary>What became of a vote. Only <see cref="Counted"/> and <see cref="Decided"/> changed anything.</summary>
public enum ApprovalVoteOutcome
{
    /// <summary>Counted; more approvals are needed.</summary>
    Counted = 0,

    /// <summary>This vote decided the request.</summary>
    Decided = 1,

    /// <summary>No approval with this id.</summary>
    NotFound = 2,

    /// <summary>Already approved, denied, expired or withdrawn.</summary>
    AlreadyDecided = 3,

    /// <summary>The voter is in none of the rule's approver groups.</summary>
    NotAnApprover = 4,

    /// <summary>The voter is the agent that asked (same issuer and subject).</summary>
    SelfApproval = 5,

    /// <summary>This approver has voted already (an approver counts once).</summary>
    AlreadyVoted = 6,

    /// <summary>The vote's audit record could not be written: nothing changed, try again.</summary>
    AuditUnavailable = 7,
}
