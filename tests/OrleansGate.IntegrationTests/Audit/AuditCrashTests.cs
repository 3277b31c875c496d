using System.Diagnostics;
using Npgsql;
using OrleansGate.Grains.Audit.Verify;
using OrleansGate.IntegrationTests.Fixtures;

namespace OrleansGate.IntegrationTests.Audit;

/// <summary>
/// A node process is killed with SIGKILL mid-load: every statement whose result a client received was audited, and once
/// the node is back its dead writers are sealed (membership declares the old silo dead) and verify as sealed.
/// </summary>
[Collection(AuditClusterCollection.Name)]
public sealed class AuditCrashTests(AuditClusterFixture fixture)
{
    [Fact]
    public async Task Node_killed_with_sigkill_mid_load_lost_no_record_of_a_statement_whose_result_arrived_and_its_writers_are_sealed_when_it_is_back()
    {
        // A cluster of its own, so the dead silo never holds grains the collection's node needs.
        var overrides = fixture.AuditOverrides();
        overrides["OrleansGate:Cluster:ClusterId"] = "crash-" + Guid.NewGuid().ToString("N")[..8];
        overrides["OrleansGate:Audit:SealCheckInterval"] = "00:00:01";
        var settings = fixture.Settings.OtherNode("crash-node", overrides);
        var configFile = settings.WriteConfigFile();
        using var node = StartProcess(configFile);
        Process? restarted = null;
        try
        {
            var token = await fixture.Node.GetTokenAsync();
            await WaitUntilListeningAsync(node, settings);

            var clients = Enumerable.Range(0, 8).Select(i => new AuditClient($"crash{i}", async () =>
            {
                var connection = new NpgsqlConnection(ConnectionString(settings, token));
                await connection.OpenAsync();
                return connection;
            })).ToList();
            var received = 0;
            var killed = 0;
            var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var loops = clients.Select(c => Task.Run(async () =>
            {
                try
                {
                    while (true)
                    {
                        Assert.True(await c.RunNextAsync(), string.Join("; ", c.Refused));
                        if (Interlocked.Increment(ref received) >= 400)
                        {
                            enough.TrySetResult();
                        }
                    }
                }
                catch (NpgsqlException) when (Volatile.Read(ref killed) == 1)
                {
                    // The node is gone: this client's run is over; what it logged as received stands.
                }
            })).ToList();

            await enough.Task.WaitAsync(TimeSpan.FromSeconds(120));
            Volatile.Write(ref killed, 1);
            node.Kill(); // SIGKILL: no shutdown, no flush, no last checkpoint.
            await node.WaitForExitAsync();
            await Task.WhenAll(loops).WaitAsync(TimeSpan.FromSeconds(60));

            var counts = await fixture.StatementCountsAsync();
            var all = clients.SelectMany(c => c.Received).ToList();
            Assert.True(all.Count >= 400);
            Assert.All(all, alias => Assert.Equal(1, counts.GetValueOrDefault(AuditClient.Normalized(alias))));

            var report = await fixture.VerifyAsync();
            Assert.True(report.Ok, string.Join("\n", report.Problems));
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }

            // The dead process's writers are open: nobody signed their end.
            var dead = $"crash-node:{node.Id}:";
            var deadWriters = report.Writers.Where(w => w.Writer.StartsWith(dead, StringComparison.Ordinal)).ToList();
            Assert.NotEmpty(deadWriters);
            Assert.All(deadWriters, w => Assert.Equal(AuditWriterState.Open, w.State));

            // Back on the same address: the new silo generation makes the old one dead, and a sealer seals its writers.
            restarted = StartProcess(configFile);
            await WaitUntilListeningAsync(restarted, settings);
            await WaitUntilSealedAsync(dead, deadWriters.Count);

            report = await fixture.VerifyAsync();
            Assert.True(report.Ok, string.Join("\n", report.Problems));
            Assert.All(report.Writers.Where(w => w.Writer.StartsWith(dead, StringComparison.Ordinal)), w =>
            {
                Assert.Equal(AuditWriterState.Sealed, w.State);
                Assert.Equal(0, w.Pending);
                Assert.Equal(w.Rows, w.Covered);
            });
        }
        finally
        {
            if (!node.HasExited)
            {
                node.Kill(entireProcessTree: true);
            }

            if (restarted is { HasExited: false })
            {
                restarted.Kill(entireProcessTree: true);
                await restarted.WaitForExitAsync();
            }

            restarted?.Dispose();
        }
    }

    /// <summary>Bounded polling of the signature table (nothing else tells a test when a sealer has run).</summary>
    private async Task WaitUntilSealedAsync(string writerPrefix, int writers)
    {
        await using var audit = new NpgsqlConnection(fixture.AuditConnectionString);
        await audit.OpenAsync();
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            await using var command = new NpgsqlCommand("SELECT count(*) FROM orleansgate_audit_signature WHERE kind = 'seal' AND starts_with(writer, $1)", audit);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = writerPrefix });
            if ((long)(await command.ExecuteScalarAsync())! >= writers)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the writers {writerPrefix}* were not sealed within 120 s");
            using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
            await tick.WaitForNextTickAsync();
        }
    }

    private static string ConnectionString(GatewaySettings settings, string token) =>
        $"Host=127.0.0.1;Port={settings.PostgresPort};Database={GatewaySettings.TargetName};Username={GatewaySettings.AgentClientId};Password={token};SSL Mode=Disable;Pooling=false;Timeout=15;Command Timeout=30";

    private static Process StartProcess(string configFile)
    {
        var info = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "orleansgate"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "--config", configFile, "run", "--role", "all" })
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("orleansgate did not start");

        // Drained so a full pipe never blocks the node.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Bounded polling, as a real client that retries its connection would; fails early if the node died.</summary>
    private static async Task WaitUntilListeningAsync(Process node, GatewaySettings settings)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            Assert.False(node.HasExited, $"the node exited with {(node.HasExited ? node.ExitCode : 0)} before listening");
            try
            {
                using var tcp = new System.Net.Sockets.TcpClient();
                await tcp.ConnectAsync("127.0.0.1", settings.PostgresPort);
                return;
            }
            catch (System.Net.Sockets.SocketException) when (DateTime.UtcNow < deadline)
            {
                await node.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromMilliseconds(200)).Token).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }
}
