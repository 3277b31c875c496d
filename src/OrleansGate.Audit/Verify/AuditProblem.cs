namespace OrleansGate.Audit.Verify;

/// <summary>What kind of check found a problem; problems are reported chains first, then writers, then anchors.</summary>
public enum AuditProblemKind
{
    /// <summary>A session (or system) chain: numbering, links, a row's own hash, order within the chain.</summary>
    Chain = 0,

    /// <summary>A writer's sequence and signatures: gaps, repeats, forged or unsigned rows, content differing from what was signed.</summary>
    Writer = 1,

    /// <summary>The checkpoint file outside the database against the database's signatures.</summary>
    Anchor = 2,
}

/// <summary>
/// One thing <c>audit verify</c> found wrong: where (the global sequence of the record, or of the first record of the
/// signed range, 0 when no record is involved) and what, naming the session, writer or file.
/// </summary>
public sealed record AuditProblem(long Seq, string Message, AuditProblemKind Kind = AuditProblemKind.Chain);
