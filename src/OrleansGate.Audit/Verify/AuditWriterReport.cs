namespace OrleansGate.Audit.Verify;

/// <summary>
/// One writer as verified: how many rows it has, how many of them signatures cover (its numbers 1..<see cref="SignedThrough"/>), and
/// which are at risk (<see cref="Pending"/>: written after its last signature, by a writer that is still open).
/// </summary>
public sealed record AuditWriterReport(
    string Writer,
    string? Node,
    AuditWriterState State,
    long Rows,
    long Covered,
    long SignedThrough,
    long Pending,
    int Signatures,
    DateTimeOffset? LastSignedAt,
    IReadOnlyList<string> KeyIds,
    string? SealedBy);
