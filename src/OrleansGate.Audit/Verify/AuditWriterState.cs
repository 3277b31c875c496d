namespace OrleansGate.Audit.Verify;

/// <summary>How a writer's rows stand, as <c>audit verify</c> reports each writer.</summary>
public enum AuditWriterState
{
    /// <summary>Ended cleanly: its own end signature covers every row it wrote.</summary>
    Signed,

    /// <summary>Died: a live node sealed it, signing where it ended.</summary>
    Sealed,

    /// <summary>Running, or died and not sealed yet: rows after its last signature are at risk.</summary>
    Open,

    /// <summary>No valid signed start: none of its rows is covered (forged, or signed with a key not trusted).</summary>
    Unsigned,
}
