namespace OrleansGate.Model;

/// <summary>What an audit record is about. Stored by name, so values may be added but never renamed.</summary>
public enum AuditEventKind
{
    Login = 0,
    Logout = 1,
    Statement = 2,
}
