using System.Diagnostics;
using System.Text.Json;
using OrleansGate.Audit;
using OrleansGate.Grains.Audit;
using OrleansGate.IntegrationTests.Infrastructure;

namespace OrleansGate.IntegrationTests.Audit;

/// <summary><c>orleansgate audit tail</c> run as the real executable against a real audit store.</summary>
[Collection(PostgresCollection.Name)]
public sealed class AuditTailTests(PostgresFixture fixture)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private static async Task<string> ConfigAsync(AuditLog log)
    {
        var config = Path.Combine(Directory.CreateTempSubdirectory("orleansgate-config-").FullName, "orleansgate.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new { OrleansGate = new { StateDatabase = log.ConnectionString } }));
        return config;
    }

    private static async Task WriteAsync(AuditChain chain, string sessionId, params string[] aliases)
    {
        foreach (var alias in aliases)
        {
            await chain.AppendAsync(AuditLog.Statement(AuditLog.Session(sessionId), $"SELECT $1 AS {alias}"));
        }
    }

    /// <summary>The executable the build puts next to the tests; stdout lines collected, stderr lines signalled.</summary>
    private static Process Start(string config, List<string> stdout, Action<string> stderr, params string[] args)
    {
        var info = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "orleansgate"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "--config", config, "audit", "tail" }.Concat(args))
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("orleansgate did not start");
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 } line)
            {
                lock (stdout)
                {
                    stdout.Add(line);
                }
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                stderr(line);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static string Statement(string jsonLine) => JsonDocument.Parse(jsonLine).RootElement.GetProperty("statement").GetString()!;

    private static long Seq(string jsonLine) => JsonDocument.Parse(jsonLine).RootElement.GetProperty("seq").GetInt64();

    [Fact]
    public async Task Tail_prints_the_newest_records_as_json_lines_oldest_first_and_count_bounds_them()
    {
        await using var log = await AuditLog.StartAsync(fixture);
        var session = Guid.NewGuid().ToString("N");
        await WriteAsync(AuditChain.Start(log.Sink, session), session, "t0", "t1", "t2", "t3", "t4");
        var lines = new List<string>();
        var errors = new List<string>();
        using var process = Start(await ConfigAsync(log), lines, errors.Add, "--count", "3", "--json");
        await process.WaitForExitAsync().WaitAsync(Bound);

        Assert.Equal(0, process.ExitCode);
        Assert.Equal(["SELECT $1 AS t2", "SELECT $1 AS t3", "SELECT $1 AS t4"], lines.Select(Statement));
        Assert.True(Seq(lines[0]) < Seq(lines[1]) && Seq(lines[1]) < Seq(lines[2]));
    }

    [Fact]
    public async Task Tail_follow_prints_records_written_after_it_started_and_stops_at_count()
    {
        await using var log = await AuditLog.StartAsync(fixture);
        var session = Guid.NewGuid().ToString("N");
        var chain = AuditChain.Start(log.Sink, session);
        await WriteAsync(chain, session, "before");
        var following = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var lines = new List<string>();
        using var process = Start(await ConfigAsync(log), lines, line =>
        {
            if (line.StartsWith("following audit records after seq", StringComparison.Ordinal))
            {
                following.TrySetResult();
            }
        }, "--follow", "--count", "2", "--json");
        try
        {
            await following.Task.WaitAsync(Bound);
            await WriteAsync(chain, session, "f1", "f2", "f3");
            await process.WaitForExitAsync().WaitAsync(Bound);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }

        Assert.Equal(0, process.ExitCode);
        Assert.Equal(["SELECT $1 AS f1", "SELECT $1 AS f2"], lines.Select(Statement));
    }
}
