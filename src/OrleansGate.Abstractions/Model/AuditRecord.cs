namespace OrleansGate.Model;

/// <summary>
/// One audited event. Statement text is never stored as sent: only a normalised form (literals replaced
/// by placeholders) and a fingerprint, so secrets and personal data in queries stay out of the log.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record AuditRecord(
    [property: Id(0)] AuditEventKind Kind,
    [property: Id(1)] DateTimeOffset At,
    [property: Id(2)] SessionInfo Session,
    [property: Id(3)] string? StatementFingerprint,
    [property: Id(4)] string? NormalizedStatement,
    [property: Id(5)] Decision? Decision);
