using System.Diagnostics;
using System.Text.Json;
using OrleansGate.LoadTest;

// orleansgate-loadtest suite PLAN.json                      every workload × target, alternately; writes the report
// orleansgate-loadtest load PLAN.json TARGET WORKLOAD SECS  one run (used while a profiler is attached)
// orleansgate-loadtest idle PLAN.json                       only the idle-session probe
// orleansgate-loadtest logins HOST:PORT[,…] DB USER TOKEN_URL LOGINS CLIENTS   logins per second, a fresh token each
// orleansgate-loadtest http HTTP-PLAN.json                  the HTTP mixes against nginx and the gateway, alternately
// orleansgate-loadtest http-load HTTP-PLAN.json TARGET MIX SECS  one HTTP run
// orleansgate-loadtest yarp PORT UPSTREAM                  the bare YARP forwarder the HTTP comparison measures too
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

if (args.Length == 3 && args[0] == "yarp")
{
    // yarp PORT UPSTREAM: the bare forwarder of the HTTP comparison, until stopped (at most 40 minutes).
    using var bounded = new CancellationTokenSource(TimeSpan.FromMinutes(40));
    Console.CancelKeyPress += (_, e) =>
    {
        e.Cancel = true;
        bounded.Cancel();
    };
    await OrleansGate.LoadTest.Http.YarpBaseline.RunAsync(int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture), new Uri(args[2]), bounded.Token);
    return 0;
}

if (args.Length >= 2 && args[0] is "http" or "http-load")
{
    using var bounded = new CancellationTokenSource(TimeSpan.FromMinutes(20));
    try
    {
        var httpPlan = JsonSerializer.Deserialize<OrleansGate.LoadTest.Http.HttpPlan>(await File.ReadAllTextAsync(args[1]), new JsonSerializerOptions(JsonSerializerDefaults.Web))
            ?? throw new JsonException("the plan is empty");
        if (args[0] == "http-load")
        {
            // http-load PLAN TARGET MIX SECONDS: one run (used while a profiler is attached)
            var target = httpPlan.Targets.Single(t => t.Name == args[2]);
            var mix = OrleansGate.LoadTest.Http.HttpMix.Read(httpPlan.MixFile)[args[3]];
            var one = await OrleansGate.LoadTest.Http.HttpLoad.RunAsync(target, args[3], mix, httpPlan.Values, httpPlan.Clients, TimeSpan.FromSeconds(int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture)), 1, bounded.Token);
            Console.WriteLine(BenchmarkSuite.Describe(one));
            return one.Errors == 0 ? 0 : 1;
        }

        // http PLAN [--splice REPORT]: with --splice, the section also replaces its own in REPORT (BENCH_ONLY=http).
        var httpResults = await OrleansGate.LoadTest.Http.HttpComparison.RunAsync(httpPlan, Console.Out, bounded.Token);
        var section = OrleansGate.LoadTest.Http.HttpComparison.Render(httpPlan, httpResults);
        await File.WriteAllTextAsync(httpPlan.Output, section);
        Console.WriteLine($"wrote {httpPlan.Output}");
        if (args.Length >= 4 && args[2] == "--splice")
        {
            var dated = FormattableString.Invariant($"Run {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC on its own (`BENCH_ONLY=http`), load average before it {MachineInfo.LoadAverage()}; the other sections are from the run named at the top.\n\n") + section;
            await File.WriteAllTextAsync(args[3], MarkdownReport.SpliceSection(await File.ReadAllTextAsync(args[3]), MarkdownReport.HttpHeading, dated));
            Console.WriteLine($"updated its section in {args[3]}");
        }

        return 0;
    }
    catch (Exception e) when (e is JsonException or IOException or InvalidOperationException or HttpRequestException or OperationCanceledException or KeyNotFoundException or FormatException)
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
                var httpComparison = plan.HttpComparisonFile is { } h && File.Exists(h) ? await File.ReadAllTextAsync(h) : null;
                var report = MarkdownReport.Render(
                    plan, results, idle, MachineInfo.Read(), loadBefore, loadAfter, when, Stopwatch.GetElapsedTime(started), profile, MarkdownReport.KeptNotes(plan.Output), auditComparison, oneClient, maskingComparison, httpComparison);
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
