namespace OrleansGate.Grains.Audit;

/// <summary>Group commit settings (section <c>OrleansGate:Audit</c>).</summary>
public sealed class AuditOptions
{
    /// <summary>Records written in one transaction at most.</summary>
    public int MaxBatchSize { get; set; } = 512;

    /// <summary>Records waiting for a batch at most; further appends wait (back-pressure, never dropped).</summary>
    public int QueueCapacity { get; set; } = 16_384;
}
