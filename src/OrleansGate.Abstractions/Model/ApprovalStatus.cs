namespace OrleansGate.Model;

/// <summary>Where an approval stands. Stored by name: values may be added, never renamed.</summary>
public enum ApprovalStatus
{
    /// <summary>Waits for approvers; the only state that changes.</summary>
    Pending = 0,

    Approved = 1,

    /// <summary>One approver said no (one deny decides).</summary>
    Denied = 2,

    /// <summary>No decision within the rule's timeout.</summary>
    Expired = 3,

    /// <summary>The agent withdrew it (a PostgreSQL CancelRequest while it waited).</summary>
    Withdrawn = 4,
}
