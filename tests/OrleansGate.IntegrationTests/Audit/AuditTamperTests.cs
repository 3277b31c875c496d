using Npgsql;
using OrleansGate.Grains.Audit;
using OrleansGate.Host.Commands;
using OrleansGate.IntegrationTests.Infrastructure;

namespace OrleansGate.IntegrationTests.Audit;

/// <summary>
/// An attacker with database access (superuser, triggers off) edits, deletes or reorders audit rows;
/// <c>audit verify</c> names the first bad record each time.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class AuditTamperTests(PostgresFixture fixture)
{
    /// <summary>Three sessions, five statements each, interleaved; all signed by a checkpoint. Returns the log and each session's row seqs in chain order.</summary>
    private async Task<(AuditLog Log, long[][] Seqs)> WriteSignedLogAsync()
    {
        var log = await AuditLog.StartAsync(fixture);
        var chains = Enumerable.Range(0, 3).Select(i => (Session: AuditLog.Session($"s{i}-{Guid.NewGuid():N}"), Chain: (AuditChain?)null)).ToArray();
        for (var i = 0; i < chains.Length; i++)
        {
            chains[i].Chain = AuditChain.Start(log.Sink, chains[i].Session.SessionId);
        }

        for (var n = 0; n < 5; n++)
        {
            foreach (var (session, chain) in chains)
            {
                await chain!.AppendAsync(AuditLog.Statement(session, $"SELECT $1 AS s{n}"));
            }
        }

        Assert.True(await log.Sink.CheckpointNowAsync(CancellationToken.None));
        var seqs = new long[chains.Length][];
        for (var i = 0; i < chains.Length; i++)
        {
            seqs[i] = await SeqsAsync(log, chains[i].Session.SessionId);
        }

        return (log, seqs);
    }

    private static async Task<long[]> SeqsAsync(AuditLog log, string session)
    {
        await using var connection = new NpgsqlConnection(log.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT seq FROM orleansgate_audit WHERE session_id = $1 ORDER BY session_seq", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = session });
        await using var reader = await command.ExecuteReaderAsync();
        var list = new List<long>();
        while (await reader.ReadAsync())
        {
            list.Add(reader.GetInt64(0));
        }

        return [.. list];
    }

    [Fact]
    public async Task Untouched_log_verifies()
    {
        var (log, _) = await WriteSignedLogAsync();
        await using (log)
        {
            var report = await log.VerifyAsync();
            Assert.True(report.Ok, string.Join("\n", report.Problems));
            Assert.Equal(15, report.Rows);
            Assert.Equal(3, report.Chains);
            Assert.Equal(1, report.Checkpoints);
            Assert.Equal(0, report.UnsignedRows);
        }
    }

    [Fact]
    public async Task Changing_one_byte_of_a_row_is_named_by_verify_as_the_first_bad_record()
    {
        var (log, seqs) = await WriteSignedLogAsync();
        await using (log)
        {
            var target = seqs[1][2];
            await log.TamperAsync($"UPDATE orleansgate_audit SET statement_normalized = replace(statement_normalized, 's2', 's9') WHERE seq = {target}");

            var report = await log.VerifyAsync();

            Assert.False(report.Ok);
            Assert.Equal(target, report.Problems[0].Seq);
            Assert.Contains("was altered", report.Problems[0].Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Deleting_a_middle_row_is_named_by_verify()
    {
        var (log, seqs) = await WriteSignedLogAsync();
        await using (log)
        {
            await log.TamperAsync($"DELETE FROM orleansgate_audit WHERE seq = {seqs[0][2]}");

            var report = await log.VerifyAsync();

            Assert.False(report.Ok);
            Assert.Equal(seqs[0][3], report.Problems[0].Seq);
            Assert.Contains("records #3..#3 of this session are missing", report.Problems[0].Message, StringComparison.Ordinal);
            Assert.Contains(report.Problems, p => p.Checkpoint && p.Message.Contains("1 records signed by checkpoint #1", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Swapping_two_rows_is_named_by_verify()
    {
        var (log, seqs) = await WriteSignedLogAsync();
        await using (log)
        {
            var (a, b) = (seqs[2][1], seqs[2][3]);
            await log.TamperAsync($"UPDATE orleansgate_audit SET seq = -1 WHERE seq = {a}; UPDATE orleansgate_audit SET seq = {a} WHERE seq = {b}; UPDATE orleansgate_audit SET seq = {b} WHERE seq = -1");

            var report = await log.VerifyAsync();

            Assert.False(report.Ok);
            Assert.Equal(a, report.Problems[0].Seq);
            Assert.Contains("rows were reordered", report.Problems[0].Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Deleting_the_last_rows_and_their_checkpoint_is_caught_by_the_checkpoint_file()
    {
        var (log, _) = await WriteSignedLogAsync();
        await using (log)
        {
            var last = await log.ScalarAsync("SELECT max(seq) FROM orleansgate_audit");

            // The tail of every chain goes (each chain stays intact), and the database's checkpoint with it.
            await log.TamperAsync($"DELETE FROM orleansgate_audit WHERE seq > {last - 3}; DELETE FROM orleansgate_audit_checkpoint");

            var report = await log.VerifyAsync();

            Assert.False(report.Ok);
            Assert.DoesNotContain(report.Problems, p => !p.Checkpoint);
            Assert.Contains(report.Problems, p => p.Message.Contains("in the checkpoint file but not in the database", StringComparison.Ordinal));
            var tail = Assert.Single(report.Problems, p => p.Message.Contains("deleted tail", StringComparison.Ordinal));
            Assert.Equal(last - 2, tail.Seq);
            Assert.Contains($"after seq {last - 3} up to seq {last}", tail.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Audit_verify_command_exits_1_and_prints_the_first_bad_record()
    {
        var (log, seqs) = await WriteSignedLogAsync();
        await using (log)
        {
            var config = Path.Combine(Directory.CreateTempSubdirectory("orleansgate-config-").FullName, "orleansgate.json");
            await File.WriteAllTextAsync(config, System.Text.Json.JsonSerializer.Serialize(new
            {
                OrleansGate = new { StateDatabase = log.ConnectionString, Audit = new { CheckpointKeyPath = log.KeyPath, log.CheckpointFile } },
            }));
            Assert.Equal(0, (await RunAsync("--config", config, "audit", "verify")).Code);

            await log.TamperAsync($"UPDATE orleansgate_audit SET rule = 'allow-al1' WHERE seq = {seqs[0][4]}");
            var (code, output) = await RunAsync("--config", config, "audit", "verify");

            Assert.Equal(1, code);
            Assert.Contains($"BROKEN: first bad record at seq {seqs[0][4]}", output, StringComparison.Ordinal);

            var (searchCode, json) = await RunAsync("--config", config, "audit", "search", "--agent", "agent-t", "--since", "1h", "--decision", "allow", "--json");
            Assert.Equal(0, searchCode);
            Assert.Equal(15, json.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
            Assert.Contains("\"statement\":\"SELECT $1 AS s0\"", json, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Update_delete_and_truncate_are_refused_by_the_database()
    {
        var (log, seqs) = await WriteSignedLogAsync();
        await using (log)
        {
            foreach (var sql in new[] { $"UPDATE orleansgate_audit SET rule = 'x' WHERE seq = {seqs[0][0]}", $"DELETE FROM orleansgate_audit WHERE seq = {seqs[0][0]}", "TRUNCATE orleansgate_audit", "DELETE FROM orleansgate_audit_checkpoint" })
            {
                // Even the superuser: the trigger refuses while it is enabled.
                var e = await Assert.ThrowsAsync<PostgresException>(() => log.ScalarAsync(sql + "; SELECT 1"));
                Assert.Equal("42501", e.SqlState);
                Assert.Contains("append-only", e.MessageText, StringComparison.Ordinal);
            }

            Assert.True((await log.VerifyAsync()).Ok);
        }
    }

    private static async Task<(int Code, string Out)> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await CommandLine.RunAsync(args, stdout, stderr, CancellationToken.None);
        return (code, stdout + stderr.ToString());
    }
}
