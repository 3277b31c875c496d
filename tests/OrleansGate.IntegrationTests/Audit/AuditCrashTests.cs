using Npgsql;
using OrleansGate.Audit.Signing;
using OrleansGate.Audit.Verify;
using OrleansGate.Host.Hosting;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.IntegrationTests.Infrastructure;

namespace OrleansGate.IntegrationTests.Audit;

/// <summary>
/// A node process is killed with SIGKILL mid-load: every statement whose result a client received was audited, and once
/// the node is back its dead writers are sealed (membership declares the old silo dead) and verify as sealed; and rows of
/// a dead writer's unsigned tail deleted before or after its seal are named by verify.
/// </summary>
[Collection(AuditClusterCollection.Name)]
public sealed class AuditCrashTests(AuditClusterFixture fixture)
{
    [Fact]
    public async Task Node_killed_with_sigkill_mid_load_lost_no_record_of_a_statement_whose_result_arrived_and_its_writers_are_sealed_when_it_is_back()
    {
        // A cluster of its own, so the dead silo never holds grains the collection's node needs.
        var settings = fixture.Settings.OtherNode("crash-node", Overrides(fixture.AuditOverrides()));
        using var node = await NodeProcess.StartAsync(settings, GatewayRole.All);
        var token = await fixture.Node.GetTokenAsync();
        var clients = await RunUntilKilledAsync(node, settings, token, 400);

        var counts = await fixture.StatementCountsAsync();
        var all = clients.SelectMany(c => c.Received).ToList();
        Assert.True(all.Count >= 400);
        Assert.All(all, alias => Assert.Equal(1, counts.GetValueOrDefault(AuditClient.Normalized(alias))));

        var report = await fixture.VerifyAsync();
        Assert.True(report.Ok, string.Join("\n", report.Problems));

        // The dead process's writers are open: nobody signed their end.
        var dead = $"crash-node:{node.ProcessId}:";
        var deadWriters = report.Writers.Where(w => w.Writer.StartsWith(dead, StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(deadWriters);
        Assert.All(deadWriters, w => Assert.Equal(AuditWriterState.Open, w.State));

        // Back on the same address: the new silo generation makes the old one dead, and a sealer seals its writers.
        using var restarted = await NodeProcess.StartAsync(settings, GatewayRole.All);
        await WaitUntilSealedAsync(fixture.AuditConnectionString, dead, deadWriters.Count);

        report = await fixture.VerifyAsync();
        Assert.True(report.Ok, string.Join("\n", report.Problems));
        Assert.All(report.Writers.Where(w => w.Writer.StartsWith(dead, StringComparison.Ordinal)), w =>
        {
            Assert.Equal(AuditWriterState.Sealed, w.State);
            Assert.Equal(0, w.Pending);
            Assert.Equal(w.Rows, w.Covered);
        });
    }

    [Fact]
    public async Task Rows_of_a_killed_node_s_unsigned_tail_deleted_before_its_seal_and_after_it_are_named_by_verify()
    {
        // An audit store of its own (this test tampers with it), set up as in production, and a checkpoint file of its own.
        var store = await TwoRoleDatabase.CreateAsync(fixture.AuditStore, "crashtamper");
        using (var output = new StringWriter())
        {
            var applied = await OrleansGate.Host.Commands.CommandLine.RunAsync(
                ["schema", "apply", "--audit-store", "--owner-connection-string-file", store.WriteOwnerConnectionFile(), "--runtime-role", store.RuntimeRole],
                output, output, CancellationToken.None);
            Assert.True(applied == 0, output.ToString());
        }

        var checkpointFile = Path.Combine(Directory.CreateTempSubdirectory("orleansgate-crash-").FullName, "signatures.jsonl");
        var overrides = fixture.AuditOverrides();
        overrides["OrleansGate:Audit:ConnectionString"] = store.RuntimeConnectionString;
        overrides["OrleansGate:Audit:CheckpointFile"] = checkpointFile;
        var settings = fixture.Settings.OtherNode("crash-tamper", Overrides(overrides));
        using var node = await NodeProcess.StartAsync(settings, GatewayRole.All);
        var token = await fixture.Node.GetTokenAsync();

        // The node's signatures stop reaching the file (its path taken by a folder): what it writes from then on stays
        // unsigned, until it refuses records (MaxUnsignedAge) or is killed, as here, with a tail no signature covers.
        var superuser = fixture.AuditStore.ConnectionString(store.Database);
        var clients = await RunUntilKilledAsync(node, settings, token, 200, async () =>
        {
            File.Move(checkpointFile, checkpointFile + ".kept");
            Directory.CreateDirectory(checkpointFile);
            var before = await ScalarAsync(superuser, "SELECT count(*) FROM orleansgate_audit");
            await Poll.UntilAsync(async () => await ScalarAsync(superuser, "SELECT count(*) FROM orleansgate_audit") >= before + 40, "no unsigned rows were written", seconds: 120);
        });
        Directory.Delete(checkpointFile);
        File.Move(checkpointFile + ".kept", checkpointFile);

        // The writer with the longest unsigned tail loses a record from its middle before it is sealed.
        var dead = $"crash-tamper:{node.ProcessId}:";
        var (writer, signed, last) = await LongestTailAsync(superuser, dead);
        Assert.True(last - signed >= 3, $"writer {writer}: only {last - signed} unsigned rows");
        var middle = signed + ((last - signed) / 2);
        await TamperAsync(superuser, $"DELETE FROM orleansgate_audit WHERE writer = '{writer}' AND writer_seq = {middle}");

        using var restarted = await NodeProcess.StartAsync(settings, GatewayRole.All);
        var started = await ScalarAsync(superuser, $"SELECT count(*) FROM orleansgate_audit_signature WHERE kind = 'start' AND starts_with(writer, '{dead}')");
        await WaitUntilSealedAsync(superuser, dead, (int)started);
        var keys = AuditKeys.LoadTrusted(fixture.PublicKeyPath);
        await using var source = NpgsqlDataSource.Create(superuser);
        var report = await new AuditVerifier(source).VerifyAsync(keys, [checkpointFile], CancellationToken.None);
        Assert.Contains(report.Problems, p => p.Message.Contains($"rows #{middle}..#{middle} of writer {writer} were already missing when", StringComparison.Ordinal));

        // And after the seal, the tail's last record.
        await TamperAsync(superuser, $"DELETE FROM orleansgate_audit WHERE writer = '{writer}' AND writer_seq = {last}");
        report = await new AuditVerifier(source).VerifyAsync(keys, [checkpointFile], CancellationToken.None);
        Assert.Contains(report.Problems, p => p.Message.Contains($"records #{last}..#{last} of writer {writer} are missing (deleted); signature #0 (seal,", StringComparison.Ordinal));
        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }
    }

    /// <summary>Its own cluster (so the dead silo never holds the collection's grains) and seal checks every second.</summary>
    private static Dictionary<string, string?> Overrides(Dictionary<string, string?> overrides)
    {
        foreach (var (key, value) in GatewaySettings.OwnCluster("crash"))
        {
            overrides[key] = value;
        }

        overrides["OrleansGate:Audit:SealCheckInterval"] = "00:00:01";
        return overrides;
    }

    /// <summary>
    /// Eight clients run statements through <paramref name="node"/> until <paramref name="enough"/> results arrived (and
    /// <paramref name="beforeKill"/> ran, still under load), then the node is killed with SIGKILL.
    /// </summary>
    private static async Task<List<AuditClient>> RunUntilKilledAsync(NodeProcess node, GatewaySettings settings, string token, int enough, Func<Task>? beforeKill = null)
    {
        var clients = Enumerable.Range(0, 8).Select(i => new AuditClient($"{settings.NodeName.Replace('-', '_')}{i}", async () =>
        {
            var connection = new NpgsqlConnection(
                $"Host=127.0.0.1;Port={settings.PostgresPort};Database={GatewaySettings.TargetName};Username={GatewaySettings.AgentClientId};Password={token};SSL Mode=Disable;Pooling=false;Timeout=15;Command Timeout=30");
            await connection.OpenAsync();
            return connection;
        })).ToList();
        var received = 0;
        var killed = 0;
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var loops = clients.Select(c => Task.Run(async () =>
        {
            try
            {
                while (Volatile.Read(ref killed) == 0)
                {
                    if (await c.RunNextAsync() && Interlocked.Increment(ref received) >= enough)
                    {
                        reached.TrySetResult();
                    }
                }
            }
            catch (NpgsqlException) when (Volatile.Read(ref killed) == 1)
            {
                // The node is gone: this client's run is over; what it logged as received stands.
            }
        })).ToList();

        await reached.Task.WaitAsync(TimeSpan.FromSeconds(120));
        if (beforeKill is not null)
        {
            await beforeKill();
        }

        Volatile.Write(ref killed, 1);
        await node.KillAsync(); // SIGKILL: no shutdown, no flush, no last signature.
        await Task.WhenAll(loops).WaitAsync(TimeSpan.FromSeconds(60));

        // Without a refusal before the kill: a refused statement here would mean the node failed closed for another reason.
        if (beforeKill is null)
        {
            Assert.All(clients, c => Assert.Empty(c.Refused));
        }

        return clients;
    }

    /// <summary>The dead writer (name starting with <paramref name="prefix"/>) with most rows after its last signature.</summary>
    private static async Task<(string Writer, long Signed, long Last)> LongestTailAsync(string connectionString, string prefix)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            """
            SELECT a.writer, coalesce((SELECT max(s.writer_seq) FROM orleansgate_audit_signature s WHERE s.writer = a.writer), 0) AS signed, max(a.writer_seq) AS last
            FROM orleansgate_audit a WHERE starts_with(a.writer, $1) GROUP BY a.writer ORDER BY max(a.writer_seq) - coalesce((SELECT max(s.writer_seq) FROM orleansgate_audit_signature s WHERE s.writer = a.writer), 0) DESC LIMIT 1
            """, connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = prefix });
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), $"no rows of writers {prefix}*");
        return (reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2));
    }

    private static async Task TamperAsync(string superuser, string sql)
    {
        await using var connection = new NpgsqlConnection(superuser);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SET session_replication_role = replica; " + sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<long> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Bounded polling of the signature table (nothing else tells a test when a sealer has run).</summary>
    private static Task WaitUntilSealedAsync(string connectionString, string writerPrefix, int writers) =>
        Poll.UntilAsync(
            async () => await ScalarAsync(connectionString, $"SELECT count(*) FROM orleansgate_audit_signature WHERE kind = 'seal' AND starts_with(writer, '{writerPrefix}')") >= writers,
            $"the writers {writerPrefix}* were not sealed within 120 s",
            seconds: 120);
}
