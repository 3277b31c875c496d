namespace OrleansGate.Model;

/// <summary>What an audit record is about. Stored by name, so values may be added but never renamed.</summary>
public enum AuditEventKind
{
    Login = 0,
    Logout = 1,
    Statement = 2,
    LoginRefused = 3,
    /// <summary>An approval ended: approved, denied, expired or withdrawn (the outcome says which).</summary>
    ApprovalDecision = 4,
    PolicyChange = 5,
    Revocation = 6,
    Completion = 7,

    /// <summary>An approve rule held a request and an approval was opened for it.</summary>
    ApprovalRequested = 8,

    /// <summary>One approver's vote (approve or deny).</summary>
    ApprovalVote = 9,
}
