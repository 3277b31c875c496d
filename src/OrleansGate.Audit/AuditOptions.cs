namespace OrleansGate.Audit;

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

    /// <summary>Writers per process (one connection and one batch in flight each, each with its own signed sequence).</summary>
    public int Writers { get; set; } = 2;

    /// <summary>Records waiting for a batch at most; further appends wait (back-pressure, never dropped).</summary>
    public int QueueCapacity { get; set; } = 16_384;

    /// <summary>Optional separate audit store; empty = the state database.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>PEM file of this node's ECDSA P-256 private key, which signs what its writers appended. Required.</summary>
    public string? SigningKeyPath { get; set; }

    /// <summary>
    /// Public keys (a PEM file, or a folder of *.pem / *.pub) that <c>audit verify</c> trusts, and that a sealer uses to
    /// check a dead writer's last signature. Empty: only this node's own key.
    /// </summary>
    public string? TrustedKeysPath { get; set; }

    /// <summary>Append-only file outside the database that receives every signature too (one JSON line each).</summary>
    public string? CheckpointFile { get; set; }

    /// <summary>How often each writer signs what it appended since its last signature (only when there is something new).</summary>
    public TimeSpan SignInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Once rows have stayed unsigned this long (signatures cannot be stored), new records are refused: fail closed.</summary>
    public TimeSpan MaxUnsignedAge { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often a silo looks for writers of dead silos of its cluster to seal.</summary>
    public TimeSpan SealCheckInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Also write every stored signature as a structured log record (category OrleansGate.Audit.Signatures), for an OpenTelemetry collector or a SIEM.</summary>
    public bool ExportSignatures { get; set; }

    /// <summary>Replaced by <see cref="SigningKeyPath"/>: set, it stops the node with a message saying so.</summary>
    public string? CheckpointKeyPath { get; set; }

    /// <summary>
    /// Benchmark-only: statements are allowed with no audit record at all. Refused unless set to exactly
    /// <c>I-understand-nothing-is-audited</c>; logged as a critical warning at start.
    /// </summary>
    public string? DisableForBenchmark { get; set; }

    public const string DisableForBenchmarkConsent = "I-understand-nothing-is-audited";

    /// <summary>The first setting that is out of bounds or missing, as the message the node stops with; null when all are fine.</summary>
    public string? Problem()
    {
        if (MaxBatchSize < 1 || Writers < 1 || QueueCapacity < 1)
        {
            return "OrleansGate:Audit: MaxBatchSize, Writers and QueueCapacity must be at least 1";
        }

        if (!string.IsNullOrWhiteSpace(CheckpointKeyPath))
        {
            return "OrleansGate:Audit:CheckpointKeyPath (an HMAC key) is no longer used: records are signed with an ECDSA P-256 key, " +
                "OrleansGate:Audit:SigningKeyPath (PEM); docs/audit.md says how to make one";
        }

        if (string.IsNullOrWhiteSpace(SigningKeyPath))
        {
            return "OrleansGate:Audit:SigningKeyPath is not set: the audit log is signed by each node with its own ECDSA P-256 key (PEM), " +
                "which the database never sees; docs/audit.md says how to make one";
        }

        if (SignInterval <= TimeSpan.Zero || SignInterval > TimeSpan.FromSeconds(1))
        {
            return "OrleansGate:Audit:SignInterval must be more than 0 and at most 1 second";
        }

        if (MaxUnsignedAge < SignInterval * 2)
        {
            return "OrleansGate:Audit:MaxUnsignedAge must be at least twice SignInterval";
        }

        return SealCheckInterval <= TimeSpan.Zero ? "OrleansGate:Audit:SealCheckInterval must be positive" : null;
    }
}
