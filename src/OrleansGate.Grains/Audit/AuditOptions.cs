namespace OrleansGate.Grains.Audit;

/// <summary>Audit writer settings (section <c>OrleansGate:Audit</c>). Defaults are measured: see docs/audit.md.</summary>
public sealed class AuditOptions
{
    /// <summary>Records written in one statement at most.</summary>
    public int MaxBatchSize { get; set; } = 512;

    /// <summary>
    /// How long a writer waits for more records after the first of a batch. Zero (the default) writes what has
    /// accumulated at once: with several writers, records that arrive while one batch commits form the next.
    /// </summary>
    public TimeSpan MaxBatchDelay { get; set; } = TimeSpan.Zero;

    /// <summary>Batches in flight at once (one connection each). A session never has two records in flight.</summary>
    public int Writers { get; set; } = 2;

    /// <summary>Records waiting for a batch at most; further appends wait (back-pressure, never dropped).</summary>
    public int QueueCapacity { get; set; } = 16_384;

    /// <summary>Optional separate audit store; empty = the state database.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>File holding the checkpoint signing key (HMAC-SHA256, at least 32 bytes). Empty = no checkpoints (warned at start).</summary>
    public string? CheckpointKeyPath { get; set; }

    /// <summary>Append-only file outside the database that receives every checkpoint too (one JSON line each).</summary>
    public string? CheckpointFile { get; set; }

    /// <summary>How often each writer signs a checkpoint over the rows it wrote since the last one.</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Benchmark-only: statements are allowed with no audit record at all. Refused unless set to exactly
    /// <c>I-understand-nothing-is-audited</c>; logged as a critical warning at start.
    /// </summary>
    public string? DisableForBenchmark { get; set; }

    public const string DisableForBenchmarkConsent = "I-understand-nothing-is-audited";
}
