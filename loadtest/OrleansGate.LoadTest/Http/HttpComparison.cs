using System.Globalization;
using System.Text;

namespace OrleansGate.LoadTest.Http;

/// <summary>Every mix against every target of the plan, alternately (warm-up first, not counted); then the Markdown section.</summary>
public static class HttpComparison
{
    public static async Task<IReadOnlyList<RunResult>> RunAsync(HttpPlan plan, TextWriter log, CancellationToken ct)
    {
        var mixes = HttpMix.Read(plan.MixFile);
        var results = new List<RunResult>();
        foreach (var mixName in plan.Mixes)
        {
            var mix = mixes.TryGetValue(mixName, out var m) ? m : throw new InvalidOperationException($"{plan.MixFile} has no mix '{mixName}'");
            foreach (var target in plan.Targets)
            {
                await HttpLoad.RunAsync(target, mixName, mix, plan.Values, plan.Clients, TimeSpan.FromSeconds(plan.WarmupSeconds), 0, ct).ConfigureAwait(false);
            }

            for (var r = 1; r <= plan.Repeats; r++)
            {
                foreach (var target in plan.Targets)
                {
                    var result = await HttpLoad.RunAsync(target, mixName, mix, plan.Values, plan.Clients, TimeSpan.FromSeconds(plan.DurationSeconds), r, ct).ConfigureAwait(false);
                    await log.WriteLineAsync(BenchmarkSuite.Describe(result)).ConfigureAwait(false);
                    results.Add(result);
                }
            }
        }

        return results;
    }

    /// <summary>The medians per mix and target, and each target's throughput against the first target's.</summary>
    public static string Render(HttpPlan plan, IReadOnlyList<RunResult> results)
    {
        var baseline = plan.Targets[0].Name;
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{plan.Clients} connections, {plan.DurationSeconds} s per run, {plan.Repeats} runs per cell, alternately (median shown); errors are the sum over all runs.");
        foreach (var note in plan.Notes)
        {
            text.AppendLine().AppendLine(note);
        }

        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"| mix | target | requests/s | / {baseline} | p50 µs | p99 µs | errors | proxy CPU | CPU µs per request |");
        text.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var mix in results.Select(r => r.Workload).Distinct())
        {
            var baseTps = Median(results.Where(r => r.Workload == mix && r.Target == baseline).Select(r => r.Throughput));
            foreach (var target in plan.Targets.Select(t => t.Name))
            {
                var runs = results.Where(r => r.Workload == mix && r.Target == target).ToList();
                if (runs.Count == 0)
                {
                    continue;
                }

                var tps = Median(runs.Select(r => r.Throughput));
                var cpu = Median(runs.Select(r => r.ProxyCpuPercent));
                text.AppendLine(CultureInfo.InvariantCulture,
                    $"| {mix} | {target} | {tps:N0} | {(baseTps > 0 ? tps / baseTps : 0):F2} | {Median(runs.Select(r => r.Latency.P50)):N0} | {Median(runs.Select(r => r.Latency.P99)):N0} | {runs.Sum(r => r.Errors)} | {cpu:F0} % | {(tps > 0 ? cpu * 10_000 / tps : 0):F0} |");
            }
        }

        var first = results.FirstOrDefault(r => r.FirstError is not null);
        if (first is not null)
        {
            text.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"First error ({first.Workload}, {first.Target}): {first.FirstError}");
        }

        return text.ToString();
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? 0 : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
