namespace OrleansGate.LoadTest;

/// <summary>
/// Runs every workload against every target, several times, alternating the targets (and rotating which goes
/// first) so that drift on a shared machine spreads over all three instead of favouring one.
/// </summary>
public static class BenchmarkSuite
{
    public static async Task<IReadOnlyList<RunResult>> RunAsync(Plan plan, TextWriter log, CancellationToken ct)
    {
        var rows = plan.Scale * 100_000;
        var duration = TimeSpan.FromSeconds(plan.DurationSeconds);
        var endpoints = new List<Endpoints>();
        foreach (var target in plan.Targets)
        {
            endpoints.Add(await Endpoints.CreateAsync(target, plan.Clients, ct).ConfigureAwait(false));
        }

        // Warm-up, not recorded: JIT, caches, connection pools of PgBouncer, shared buffers.
        foreach (var e in endpoints)
        {
            var warm = await DriverRunner.RunAsync(e, DriverWorkload.Select, plan.Clients, TimeSpan.FromSeconds(2), rows, 0, ct).ConfigureAwait(false);
            await log.WriteLineAsync($"warm-up {e.Target.Name}: {warm.Throughput:F0} statements/s, {warm.Errors} errors {warm.FirstError}").ConfigureAwait(false);
        }

        var results = new List<RunResult>();
        for (var repeat = 1; repeat <= plan.Repeats; repeat++)
        {
            for (var w = 0; w < plan.Workloads.Count; w++)
            {
                for (var t = 0; t < endpoints.Count; t++)
                {
                    var e = endpoints[(t + repeat + w) % endpoints.Count];
                    var result = await RunOneAsync(plan, e, plan.Workloads[w], duration, rows, repeat, ct).ConfigureAwait(false);
                    results.Add(result);
                    await log.WriteLineAsync(Describe(result)).ConfigureAwait(false);
                }
            }
        }

        return results;
    }

    /// <summary>One run; for a gateway that serves runtime counters, with its <see cref="RunResult.Cost"/> over the run.</summary>
    public static async Task<RunResult> RunOneAsync(Plan plan, Endpoints e, string workload, TimeSpan duration, int rows, int repeat, CancellationToken ct)
    {
        using var probe = await GatewayCostProbe.ForAsync(plan, e.Target, ct).ConfigureAwait(false);
        if (probe is null)
        {
            return await RunWorkloadAsync(plan, e, workload, duration, rows, repeat, ct).ConfigureAwait(false);
        }

        // Around the whole run, logins included: 64 logins add little to thousands of statements per second.
        var before = await probe.MarkAsync(ct).ConfigureAwait(false);
        var result = await RunWorkloadAsync(plan, e, workload, duration, rows, repeat, ct).ConfigureAwait(false);
        return result with { Cost = await probe.SinceAsync(before, result.Operations, ct).ConfigureAwait(false) };
    }

    private static Task<RunResult> RunWorkloadAsync(Plan plan, Endpoints e, string workload, TimeSpan duration, int rows, int repeat, CancellationToken ct)
    {
        if (PgbenchRunner.TryParseMode(workload, out var mode))
        {
            return PgbenchRunner.RunAsync(plan.PgbenchPath, e, mode, plan.Clients, duration, repeat, ct);
        }

        var kind = workload switch
        {
            "select" => DriverWorkload.Select,
            "rw" => DriverWorkload.ReadWrite,
            "prepared" => DriverWorkload.Prepared,
            _ => throw new ArgumentException($"unknown workload '{workload}' (select, rw, prepared, pgbench-S-simple, pgbench-S-extended, pgbench-S-prepared)"),
        };
        return DriverRunner.RunAsync(e, kind, plan.Clients, duration, rows, repeat, ct);
    }

    public static string Describe(RunResult r) =>
        $"[{r.Repeat}] {r.Workload,-40} {r.Target,-10} {r.Throughput,10:F0}/s  p50 {r.Latency.P50,7:F0} µs  p99 {r.Latency.P99,7:F0} µs  " +
        $"max {r.Latency.Max,7:F0} µs  mean {r.Latency.Mean,7:F0} µs  errors {r.Errors}  cpu {r.ProxyCpuPercent,5:F0}%  rss {r.ProxyPeakRssMiB,6:F0} MiB" +
        (r.Cost is not { } c ? "" : FormattableString.Invariant($"  alloc {c.BytesPerStatement:F0} B/stmt  gc {c.CollectionsPerThousand:F2}/1k stmt") +
            (c.AuditRowsPerStatement is { } perStatement ? FormattableString.Invariant($"  audit {perStatement:F2} rows/stmt {c.AuditStoreMicrosPerRow ?? 0:F1} µs store CPU/row") : "")) +
        (r.FirstError is null ? "" : $"  first error: {r.FirstError}");
}
