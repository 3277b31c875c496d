namespace OrleansGate.Audit.Signing;

/// <summary>What a signature states about its writer (stored as the lower-case name).</summary>
public enum AuditSignatureKind
{
    /// <summary>"I am writer W, this is who runs me and where my signatures are anchored; I have written nothing yet."</summary>
    Start,

    /// <summary>"My rows 1..N fold to D" (and the numbers in its detail are void).</summary>
    Sign,

    /// <summary>A clean stop: "I wrote rows 1..N, folding to D, and will write no more."</summary>
    End,

    /// <summary>By another writer, for a writer that died: "W ended at N, folding to D, sealed by me at T".</summary>
    Seal,
}
