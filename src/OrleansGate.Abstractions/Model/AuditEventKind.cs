namespace OrleansGate.Model;

/// <summary>What an audit record is about. Stored by name, so values may be added but never renamed.</summary>
public enum AuditEventKind
{
    Login = 0,
    Logout = 1,
    Statement = 2,
    LoginRefused = 3,
    ApprovalDecision = 4,
    PolicyChange = 5,
    Revocation = 6,
    Completion = 7,
}
