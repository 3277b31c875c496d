namespace OrleansGate.Model;

/// <summary>
/// One audited event. Statement text is never stored as sent: only a normalised form (literals replaced
/// by placeholders) and a fingerprint, so secrets and personal data in queries stay out of the log.
/// The optional members are set by the events that have them (statement kinds and relations for a
/// statement, approval for an approval decision, rows/duration/outcome for a completion).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record AuditRecord(
    [property: Id(0)] AuditEventKind Kind,
    [property: Id(1)] DateTimeOffset At,
    [property: Id(2)] SessionInfo Session,
    [property: Id(3)] string? StatementFingerprint,
    [property: Id(4)] string? NormalizedStatement,
    [property: Id(5)] Decision? Decision)
{
    /// <summary>Statement kinds as the classifier names them (e.g. <c>SELECT</c>, <c>UPDATE,SELECT</c>).</summary>
    [Id(6)] public string? StatementKinds { get; init; }

    [Id(7)] public IReadOnlyList<string> RelationsRead { get; init; } = [];

    [Id(8)] public IReadOnlyList<string> RelationsWritten { get; init; } = [];

    [Id(9)] public string? ApprovalId { get; init; }

    [Id(10)] public string? Approver { get; init; }

    /// <summary>Masked columns as <c>table.column</c>.</summary>
    [Id(11)] public IReadOnlyList<string> MaskedColumns { get; init; } = [];

    /// <summary>Rows affected or returned (completion records).</summary>
    [Id(12)] public long? Rows { get; init; }

    /// <summary>Duration in microseconds (completion records).</summary>
    [Id(13)] public long? DurationMicroseconds { get; init; }

    /// <summary><c>ok</c> or the SQLSTATE (completion and refusal records).</summary>
    [Id(14)] public string? Outcome { get; init; }

    /// <summary>Free text for events that carry a reason (refusals, revocations, policy changes); never a secret.</summary>
    [Id(15)] public string? Detail { get; init; }

    /// <summary>The policy version an event names without a decision (a policy change: the new version).</summary>
    [Id(16)] public long? PolicyVersion { get; init; }

    /// <summary>A completion record's link: the <c>session_seq</c> of the statement record it completes.</summary>
    [Id(17)] public long? CompletesSessionSeq { get; init; }
}
