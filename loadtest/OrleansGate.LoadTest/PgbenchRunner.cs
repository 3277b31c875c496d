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

    public static async Task<RunResult> RunAsync(
        string pgbench, Endpoints endpoints, string mode, int clients, TimeSpan duration, int repeat, CancellationToken ct)
    {
        var target = endpoints.Target;
        var (user, password) = endpoints.Credentials(0);
        var start = new ProcessStartInfo(pgbench)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            "-n", "-S", "-M", mode, "-c", clients.ToString(CultureInfo.InvariantCulture), "-j", Math.Min(clients, Environment.ProcessorCount).ToString(CultureInfo.InvariantCulture),
            "-T", ((int)duration.TotalSeconds).ToString(CultureInfo.InvariantCulture),
            "-h", target.Host, "-p", target.Port.ToString(CultureInfo.InvariantCulture), "-U", user, target.Database,
        })
        {
            start.ArgumentList.Add(arg);
        }

        // The password (a token for the gateway) goes by environment, never on the command line.
        start.Environment["PGPASSWORD"] = password;
        start.Environment["PGSSLMODE"] = "disable";
        start.Environment["PGAPPNAME"] = "pgbench";

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

        // pgbench prints only the mean latency (and per-transaction logs are too heavy to keep here): p-values stay empty.
        var latency = new LatencySummary(0, 0, 0, 0, latencyMs * 1000);
        return new RunResult(Name(mode), target.Name, repeat, clients, duration.TotalSeconds, processed, failed, tps, latency, cpu, rss, firstError);
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
