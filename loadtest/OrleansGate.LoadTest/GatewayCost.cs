namespace OrleansGate.LoadTest;

/// <summary>
/// What one gateway run cost beyond the proxy's CPU: the gateway process's allocations and GCs (from its own
/// counters) and the audit store's CPU for the rows the run wrote, with the run's statement count to divide by.
/// </summary>
public sealed record GatewayCost(long Statements, long AllocatedBytes, long Collections, long Gen2Collections, long? AuditRows, double? AuditStoreCpuSeconds, int AuditBackends, int LostBackends)
{
    public double BytesPerStatement => Statements > 0 ? (double)AllocatedBytes / Statements : 0;

    /// <summary>Every GC counts once: a gen1 or gen2 collection also collects gen0, and <c>GC.CollectionCount(0)</c> counts it.</summary>
    public double CollectionsPerThousand => Statements > 0 ? 1000.0 * Collections / Statements : 0;

    public double? AuditRowsPerStatement => AuditRows is { } rows && Statements > 0 ? (double)rows / Statements : null;

    public double? AuditStoreMicrosPerRow => AuditRows is > 0 && AuditStoreCpuSeconds is { } cpu ? cpu * 1_000_000 / AuditRows.Value : null;

    public static GatewayCost Between(long statements, RuntimeCounters before, RuntimeCounters after, AuditStoreSnapshot? auditBefore, AuditStoreSnapshot? auditAfter, long? auditRows)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        double? cpu = null;
        var (backends, lost) = (0, 0);
        if (auditBefore is not null && auditAfter is not null)
        {
            var (ticks, b, l) = AuditStoreSnapshot.CpuTicksBetween(auditBefore, auditAfter);
            (cpu, backends, lost) = (ticks / ProcessSampler.TicksPerSecond, b, l);
        }

        return new GatewayCost(
            statements, after.AllocatedBytes - before.AllocatedBytes, after.Gen0Collections - before.Gen0Collections,
            after.Gen2Collections - before.Gen2Collections, auditRows, cpu, backends, lost);
    }
}
