namespace OrleansGate.LoadTest;

/// <summary>What the runner script hands the driver: the three targets, the workloads and where to write.</summary>
public sealed record Plan
{
    public required IReadOnlyList<TargetSpec> Targets { get; init; }

    public required IReadOnlyList<string> Workloads { get; init; }

    public int Clients { get; init; } = 64;

    public int DurationSeconds { get; init; } = 8;

    public int Repeats { get; init; } = 3;

    /// <summary>pgbench scale of the data set: pgbench_accounts holds Scale × 100,000 rows.</summary>
    public int Scale { get; init; } = 10;

    public required string Output { get; init; }

    /// <summary>Free text about the set-up (PostgreSQL settings, fsync), copied into the report.</summary>
    public IReadOnlyList<string> SetupNotes { get; init; } = [];

    public IdleSpec? Idle { get; init; }

    /// <summary>A file with the hot-path profile summary, written by the script before the driver runs; optional.</summary>
    public string? ProfileFile { get; init; }

    /// <summary>A Markdown section comparing the gateway with its audit on and off, written by the script; optional.</summary>
    public string? AuditComparisonFile { get; init; }

    /// <summary>The masking comparison's section (run.sh step 5c), included in the report when present.</summary>
    public string? MaskingComparisonFile { get; init; }

    /// <summary>The HTTP side-by-side section (step 5d), written by <c>orleansgate-loadtest http</c>.</summary>
    public string? HttpComparisonFile { get; init; }

    public string PgbenchPath { get; init; } = "pgbench";

    /// <summary>
    /// A superuser login to the database holding the gateway's audit table (the state database unless a separate
    /// audit store is configured): for audit rows and the audit writers' backend CPU per gateway run, and for the
    /// store's own commit latency. Optional; its <see cref="TargetSpec.Pid"/> is unused.
    /// </summary>
    public TargetSpec? AuditStore { get; init; }

    /// <summary>Seconds of the one-client latency runs (pgbench -S -M simple, c=1, per target); 0 skips them.</summary>
    public int LatencyDurationSeconds { get; init; }

    /// <summary>When the runner script started (Unix seconds), so the report can say how long the whole command took; 0 if unknown.</summary>
    public long ScriptStartedAt { get; init; }
}

/// <summary>One place to send the workload. A gateway target logs in with dev-IdP tokens; the others with a password.</summary>
public sealed record TargetSpec
{
    public required string Name { get; init; }

    public required string Host { get; init; }

    public required int Port { get; init; }

    public required string Database { get; init; }

    /// <summary>User name for password targets; ignored for token targets (the client id is the user name).</summary>
    public string User { get; init; } = "";

    public string Password { get; init; } = "";

    /// <summary>The process whose CPU and memory are reported (the proxy in the path); 0 for none.</summary>
    public int Pid { get; init; }

    /// <summary>Set for the gateway: each session logs in with its own client's token from this endpoint.</summary>
    public string? TokenUrl { get; init; }

    public IReadOnlyList<ClientCredential> TokenClients { get; init; } = [];

    /// <summary>Set for a gateway that serves its runtime counters (<c>/debug/runtime</c>): allocations and GCs per run.</summary>
    public string? RuntimeUrl { get; init; }
}

public sealed record ClientCredential(string Id, string Secret);

/// <summary>The idle-session probe: how much memory one open, idle gateway session costs.</summary>
public sealed record IdleSpec
{
    public required TargetSpec Target { get; init; }

    public int Sessions { get; init; } = 10_000;

    public int OpenParallelism { get; init; } = 32;

    /// <summary>The probe stops opening after this long, or after <see cref="MaxFailures"/> failed logins, and reports what it has.</summary>
    public int TimeoutSeconds { get; init; } = 240;

    public int MaxFailures { get; init; } = 50;
}
