using System.Diagnostics;
using System.Text.Json;
using OrleansGate.LoadTest;

// orleansgate-loadtest suite PLAN.json                      every workload × target, alternately; writes the report
// orleansgate-loadtest load PLAN.json TARGET WORKLOAD SECS  one run (used while a profiler is attached)
// orleansgate-loadtest idle PLAN.json                       only the idle-session probe
// orleansgate-loadtest logins HOST:PORT[,…] DB USER TOKEN_URL LOGINS CLIENTS   logins per second, a fresh token each
if (args.Length > 0 && args[0] == "logins")
{
    using var bounded = new CancellationTokenSource(TimeSpan.FromMinutes(10));
    try
    {
        return await LoginProbe.RunAsync(args, Console.Out, bounded.Token);
    }
    catch (Exception e) when (e is ArgumentException or InvalidOperationException or HttpRequestException or TaskCanceledException)
    {
        await Console.Error.WriteLineAsync($"error: {e.Message}");
        return 2;
    }
}

if (args.Length < 2 || args[0] is not ("suite" or "load" or "idle"))
{
    await Console.Error.WriteLineAsync("usage: orleansgate-loadtest suite PLAN.json | load PLAN.json TARGET WORKLOAD SECONDS | idle PLAN.json");
    return 2;
}

Plan plan;
try
{
    plan = JsonSerializer.Deserialize<Plan>(await File.ReadAllTextAsync(args[1]), new JsonSerializerOptions(JsonSerializerDefaults.Web))
        ?? throw new JsonException("the plan is empty");
}
catch (Exception e) when (e is JsonException or IOException)
{
    await Console.Error.WriteLineAsync($"error: cannot read the plan {args[1]}: {e.Message}");
    return 2;
}

// Bounded: the whole suite stops by itself; Ctrl+C stops it sooner.
using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(30));
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cts.Cancel();
};

try
{
    switch (args[0])
    {
        case "load":
            {
                var target = plan.Targets.Single(t => t.Name == args[2]);
                var endpoints = await Endpoints.CreateAsync(target, plan.Clients, cts.Token);
                var result = await BenchmarkSuite.RunOneAsync(plan, endpoints, args[3], TimeSpan.FromSeconds(int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture)), plan.Scale * 100_000, 1, cts.Token);
                Console.WriteLine(BenchmarkSuite.Describe(result));
                return result.Errors == 0 ? 0 : 1;
            }

        case "idle":
            {
                var idle = await IdleSessionProbe.RunAsync(plan.Idle ?? throw new InvalidOperationException("the plan has no idle section"), cts.Token);
                Console.WriteLine(idle);
                return 0;
            }

        default:
            {
                var when = DateTimeOffset.UtcNow;
                var started = Stopwatch.GetTimestamp();
                var loadBefore = MachineInfo.LoadAverage();
                var results = await BenchmarkSuite.RunAsync(plan, Console.Out, cts.Token);
                var oneClient = await OneClientLatency.RunAsync(plan, Console.Out, cts.Token);
                var loadAfter = MachineInfo.LoadAverage();
                IdleResult? idle = null;
                if (plan.Idle is { } spec)
                {
                    idle = await IdleSessionProbe.RunAsync(spec, cts.Token);
                    Console.WriteLine(idle);
                }

                var profile = plan.ProfileFile is { } p && File.Exists(p) ? await File.ReadAllTextAsync(p) : null;
                var auditComparison = plan.AuditComparisonFile is { } a && File.Exists(a) ? await File.ReadAllTextAsync(a) : null;
                var maskingComparison = plan.MaskingComparisonFile is { } m && File.Exists(m) ? await File.ReadAllTextAsync(m) : null;
                var report = MarkdownReport.Render(
                    plan, results, idle, MachineInfo.Read(), loadBefore, loadAfter, when, Stopwatch.GetElapsedTime(started), profile, MarkdownReport.KeptNotes(plan.Output), auditComparison, oneClient, maskingComparison);
                await File.WriteAllTextAsync(plan.Output, report);
                Console.WriteLine($"wrote {plan.Output}");
                return 0;
            }
    }
}
catch (Exception e) when (e is Npgsql.NpgsqlException or InvalidOperationException or HttpRequestException or TimeoutException or OperationCanceledException or ArgumentException)
{
    await Console.Error.WriteLineAsync($"error: {e.Message}");
    return 1;
}
