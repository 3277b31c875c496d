namespace OrleansGate.Policy.Model;

/// <summary>What a rule does when it matches. Order matters: a higher value overrides a lower one.</summary>
public enum PolicyEffect
{
    /// <summary>Let the statement through.</summary>
    Allow = 0,

    /// <summary>
    /// Needs a human's approval. Until approvals exist the gateway refuses it like a deny, with the
    /// rule's reason, so nothing waits on a workflow that is not there.
    /// </summary>
    Approve = 1,

    /// <summary>Refuse the statement.</summary>
    Deny = 2,
}
