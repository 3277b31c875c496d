namespace OrleansGate.Grains.Storage;

/// <summary>Which embedded scripts a database gets.</summary>
public enum SchemaScope
{
    /// <summary>The state database: Orleans clustering, grain state, reminders and the audit tables.</summary>
    State,

    /// <summary>A separate audit store (<c>OrleansGate:Audit:ConnectionString</c>): the audit scripts (9xx) only.</summary>
    AuditStore,
}
