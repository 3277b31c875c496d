namespace OrleansGate.LoadTest;

/// <summary>The one-client latency runs (one per target) and the audit store's own one-row commit, from one suite.</summary>
public sealed record OneClientResult(int Seconds, IReadOnlyList<RunResult> Runs, RunResult? AuditStoreCommit)
{
    /// <summary>What <paramref name="run"/> adds to direct PostgreSQL's p50 and p99 (µs); null without a direct run to compare with.</summary>
    public (double P50, double P99)? AddedOverDirect(RunResult run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var direct = Runs.FirstOrDefault(r => r.Target == "direct");
        return direct is null || direct.Latency.P50 == 0 || run.Latency.P50 == 0
            ? null
            : (run.Latency.P50 - direct.Latency.P50, run.Latency.P99 - direct.Latency.P99);
    }
}
