using Npgsql;

namespace OrleansGate.LoadTest;

/// <summary>
/// Latency with nothing queued: pgbench -S -M simple with one client against each target, then, in the same run,
/// the audit store's own commit of one row (one client, <c>synchronous_commit</c> on), which a durable audit record
/// waits for at least once.
/// </summary>
public static class OneClientLatency
{
    /// <summary>A scratch table in the audit store's database, created for the commit probe and dropped after it.</summary>
    public const string ProbeTable = "orleansgate_bench_commit_probe";

    public const string CommitProbeName = "one-row INSERT commit (-M prepared)";

    public static async Task<OneClientResult?> RunAsync(Plan plan, TextWriter log, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(log);
        if (plan.LatencyDurationSeconds <= 0)
        {
            return null;
        }

        var duration = TimeSpan.FromSeconds(plan.LatencyDurationSeconds);

        // Every transaction logged: with one client there are few enough, and p99 needs them all.
        var select = PgbenchJob.SelectOnly("simple") with { SamplingRate = 1 };
        var runs = new List<RunResult>();
        foreach (var target in plan.Targets)
        {
            var endpoints = await Endpoints.CreateAsync(target, 1, ct).ConfigureAwait(false);
            var run = await PgbenchRunner.RunAsync(plan.PgbenchPath, endpoints, select, 1, duration, 1, ct).ConfigureAwait(false);
            runs.Add(run);
            await log.WriteLineAsync("c=1 " + BenchmarkSuite.Describe(run)).ConfigureAwait(false);
        }

        RunResult? commit = null;
        if (plan.AuditStore is { } store)
        {
            commit = await CommitAsync(plan.PgbenchPath, store, duration, ct).ConfigureAwait(false);
            await log.WriteLineAsync("c=1 " + BenchmarkSuite.Describe(commit)).ConfigureAwait(false);
        }

        return new OneClientResult(plan.LatencyDurationSeconds, runs, commit);
    }

    private static async Task<RunResult> CommitAsync(string pgbench, TargetSpec store, TimeSpan duration, CancellationToken ct)
    {
        var endpoints = await Endpoints.CreateAsync(store, 1, ct).ConfigureAwait(false);
        await ExecuteAsync(endpoints, $"CREATE TABLE IF NOT EXISTS {ProbeTable} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), payload text NOT NULL)", ct).ConfigureAwait(false);
        var script = Path.GetTempFileName();
        try
        {
            // About the size of an audit record's text; one row per transaction, committed on its own.
            await File.WriteAllTextAsync(script, $"INSERT INTO {ProbeTable} (payload) VALUES (repeat('x', 400));\n", ct).ConfigureAwait(false);
            var job = new PgbenchJob(CommitProbeName, ["-f", script, "-M", "prepared"]) { SamplingRate = 1, ServerOptions = "-c synchronous_commit=on" };
            return await PgbenchRunner.RunAsync(pgbench, endpoints, job, 1, duration, 1, ct).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(script);
            await ExecuteAsync(endpoints, $"DROP TABLE IF EXISTS {ProbeTable}", CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static async Task ExecuteAsync(Endpoints endpoints, string sql, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(endpoints.ConnectionString(0));
        await connection.OpenAsync(ct).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }
}
