namespace OrleansGate.Policy.Model;

/// <summary>What a rule does when it matches. Order matters: a higher value overrides a lower one.</summary>
public enum PolicyEffect
{
    /// <summary>Let the statement through.</summary>
    Allow = 0,

    /// <summary>
    /// Needs a human's approval: the request is held (or refused naming its approval, in retry mode) until approvers
    /// of the rule's <c>approval:</c> settings decide (docs/approvals.md).
    /// </summary>
    Approve = 1,

    /// <summary>Refuse the statement.</summary>
    Deny = 2,
}
