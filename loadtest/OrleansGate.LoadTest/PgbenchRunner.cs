using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace OrleansGate.LoadTest;

/// <summary>Runs the real pgbench against a target (through the gateway the password is a token) and reads its summary.</summary>
public static partial class PgbenchRunner
{
    /// <summary>Workload names as they appear in the plan: pgbench-S-simple, pgbench-S-extended, pgbench-S-prepared.</summary>
    public static bool TryParseMode(string workload, out string mode)
    {
        mode = workload.StartsWith("pgbench-S-", StringComparison.Ordinal) ? workload["pgbench-S-".Length..] : "";
        return mode is "simple" or "extended" or "prepared";
    }

    public static string Name(string mode) => $"pgbench -S -M {mode}";

    public static Task<RunResult> RunAsync(
        string pgbench, Endpoints endpoints, string mode, int clients, TimeSpan duration, int repeat, CancellationToken ct) =>
        RunAsync(pgbench, endpoints, PgbenchJob.SelectOnly(mode), clients, duration, repeat, ct);

    public static async Task<RunResult> RunAsync(
        string pgbench, Endpoints endpoints, PgbenchJob job, int clients, TimeSpan duration, int repeat, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(job);
        var target = endpoints.Target;
        var (user, password) = endpoints.Credentials(0);

        // Percentiles from pgbench's per-transaction log, sampled (1 transaction in 10) so that writing it costs
        // pgbench little on the shared cores; the log folder is removed after the run.
        var logFolder = Directory.CreateTempSubdirectory("orleansgate-pgbench-").FullName;
        var start = new ProcessStartInfo(pgbench)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in Arguments(job, target, user, clients, duration, Path.Combine(logFolder, "pgbench_log")))
        {
            start.ArgumentList.Add(arg);
        }

        // The password (a token for the gateway) goes by environment, never on the command line.
        start.Environment["PGPASSWORD"] = password;
        start.Environment["PGSSLMODE"] = "disable";
        start.Environment["PGAPPNAME"] = "pgbench";
        if (job.ServerOptions is not null)
        {
            start.Environment["PGOPTIONS"] = job.ServerOptions;
        }

        await using var sampler = new ProcessSampler(target.Pid);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("pgbench did not start");
        sampler.Start();
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(duration + TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"pgbench against {target.Name} did not finish within {duration.TotalSeconds + 60} s");
        }

        var (cpu, rss) = await sampler.StopAsync().ConfigureAwait(false);
        var output = await stdout.ConfigureAwait(false);
        var errorText = await stderr.ConfigureAwait(false);
        var (tps, processed, failed, latencyMs) = ParseSummary(output);
        var firstError = process.ExitCode == 0 ? null : FirstLine(errorText, process.ExitCode);
        if (process.ExitCode != 0 && failed == 0)
        {
            failed = 1;
        }

        // The mean is pgbench's own (every transaction); p50/p95/p99/max are over the sampled transactions.
        var sampled = ReadLoggedLatencies(logFolder);
        var latency = sampled.Count == 0
            ? new LatencySummary(0, 0, 0, 0, latencyMs * 1000)
            : LatencySummary.From([sampled]) with { Mean = latencyMs * 1000 };
        return new RunResult(job.Name, target.Name, repeat, clients, duration.TotalSeconds, processed, failed, tps, latency, cpu, rss, firstError);
    }

    /// <summary>pgbench's command line (<c>-n</c>: no vacuum, there may be no pgbench tables); the password goes by environment.</summary>
    internal static IReadOnlyList<string> Arguments(PgbenchJob job, TargetSpec target, string user, int clients, TimeSpan duration, string logPrefix) =>
    [
        "-n", .. job.Arguments, "-c", clients.ToString(CultureInfo.InvariantCulture), "-j", Math.Min(clients, Environment.ProcessorCount).ToString(CultureInfo.InvariantCulture),
        "-T", ((int)duration.TotalSeconds).ToString(CultureInfo.InvariantCulture),
        "-l", "--sampling-rate=" + job.SamplingRate.ToString(CultureInfo.InvariantCulture), "--log-prefix=" + logPrefix,
        "-h", target.Host, "-p", target.Port.ToString(CultureInfo.InvariantCulture), "-U", user, target.Database,
    ];

    /// <summary>The share of transactions pgbench logs with their latency (its <c>--sampling-rate</c>).</summary>
    public const double LogSamplingRate = 0.1;

    /// <summary>Latencies (µs, the third field of each line) from pgbench's per-thread log files; deletes the folder.</summary>
    internal static List<int> ReadLoggedLatencies(string folder)
    {
        var latencies = new List<int>();
        try
        {
            foreach (var file in Directory.EnumerateFiles(folder, "pgbench_log*"))
            {
                foreach (var line in File.ReadLines(file))
                {
                    var fields = line.Split(' ', 4);
                    if (fields.Length >= 3 && int.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var us))
                    {
                        latencies.Add(us);
                    }
                }
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }

        return latencies;
    }

    /// <summary>Reads pgbench's closing summary; a missing line reads as 0.</summary>
    internal static (double Tps, long Processed, long Failed, double LatencyMs) ParseSummary(string output) =>
        (Number(TpsPattern(), output), (long)Number(ProcessedPattern(), output), (long)Number(FailedPattern(), output), Number(LatencyPattern(), output));

    private static string FirstLine(string text, int exitCode)
    {
        var line = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault(l => l.Contains("error", StringComparison.OrdinalIgnoreCase) || l.Contains("FATAL", StringComparison.Ordinal));
        return $"pgbench exited {exitCode}: {line ?? "(no error text)"}";
    }

    private static double Number(Regex pattern, string text)
    {
        var match = pattern.Match(text);
        return match.Success ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
    }

    [GeneratedRegex(@"^tps = ([0-9.]+) \(without initial connection time\)", RegexOptions.Multiline)]
    private static partial Regex TpsPattern();

    [GeneratedRegex(@"^number of transactions actually processed: ([0-9]+)", RegexOptions.Multiline)]
    private static partial Regex ProcessedPattern();

    [GeneratedRegex(@"^number of failed transactions: ([0-9]+)", RegexOptions.Multiline)]
    private static partial Regex FailedPattern();

    [GeneratedRegex(@"^latency average = ([0-9.]+) ms", RegexOptions.Multiline)]
    private static partial Regex LatencyPattern();
}
