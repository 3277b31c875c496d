namespace OrleansGate.Grains.Audit;

/// <summary>The outcome of <c>audit verify</c>: problems in global sequence order, so the first is the first broken link.</summary>
public sealed record AuditVerifyReport(long Rows, int Chains, int Checkpoints, long LastSignedSeq, long UnsignedRows, IReadOnlyList<AuditProblem> Problems)
{
    public bool Ok => Problems.Count == 0;

    /// <summary>How many of <see cref="Chains"/> are not sessions: the policy chain, agents' revocation chains, edges' login-refusal chains.</summary>
    public int SystemChains { get; init; }
}
