namespace OrleansGate.Grains.Audit;

/// <summary>
/// One broken link found by <see cref="AuditVerifier"/>: where (global sequence) and what. Chain problems name a
/// record; checkpoint problems (<see cref="Checkpoint"/>) a signed range, so chains are reported first.
/// </summary>
public sealed record AuditProblem(long Seq, string Message, bool Checkpoint = false);
