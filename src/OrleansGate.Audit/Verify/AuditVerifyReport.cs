namespace OrleansGate.Audit.Verify;

/// <summary>The outcome of <c>audit verify</c>: problems chains first, then writers, then anchors, each in sequence order.</summary>
public sealed record AuditVerifyReport(
    long Rows,
    int Chains,
    int SystemChains,
    IReadOnlyList<AuditWriterReport> Writers,
    IReadOnlyList<AuditProblem> Problems,
    IReadOnlyList<string> Notes)
{
    public bool Ok => Problems.Count == 0;

    /// <summary>Rows a valid signature covers.</summary>
    public long SignedRows => Writers.Sum(w => w.Covered);

    /// <summary>Rows written after the last signature of a writer that is still open: their deletion, as a tail, cannot be seen yet.</summary>
    public long PendingRows => Writers.Sum(w => w.Pending);
}
