using Npgsql;
using OrleansGate.Audit;
using OrleansGate.Grains.Audit;
using OrleansGate.Audit.Verify;
using OrleansGate.Host.Commands;
using OrleansGate.IntegrationTests.Infrastructure;

namespace OrleansGate.IntegrationTests.Audit;

/// <summary>
/// An insider with write access to the audit store (the superuser, triggers off) edits, deletes, reorders or forges
/// audit rows, recomputing the unkeyed chain hashes where that helps; <c>audit verify</c> names each change and where.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class AuditTamperTests(PostgresFixture fixture)
{
    /// <summary>Three sessions, five statements each, interleaved, on one writer; all signed. Returns the log and each session's id.</summary>
    private async Task<(AuditLog Log, string[] Sessions)> WriteSignedLogAsync()
    {
        var log = await AuditLog.StartAsync(fixture, o => o.Writers = 1);
        var sessions = await AppendAsync(log, 3, 5);
        await log.SignAsync();
        return (log, sessions);
    }

    private static async Task<string[]> AppendAsync(AuditLog log, int sessionCount, int statements)
    {
        var chains = Enumerable.Range(0, sessionCount).Select(i => AuditLog.Session($"s{i}-{Guid.NewGuid():N}")).Select(s => (Session: s, Chain: AuditChain.Start(log.Sink, s.SessionId))).ToArray();
        for (var n = 0; n < statements; n++)
        {
            foreach (var (session, chain) in chains)
            {
                await chain.AppendAsync(AuditLog.Statement(session, $"SELECT $1 AS s{n}"));
            }
        }

        return [.. chains.Select(c => c.Session.SessionId)];
    }

    private static async Task<long> SeqAsync(AuditLog log, string session, long sessionSeq) =>
        await log.ScalarAsync($"SELECT seq FROM orleansgate_audit WHERE session_id = '{session}' AND session_seq = {sessionSeq}");

    private static string Describe(AuditVerifyReport report) => string.Join("\n", report.Problems.Select(p => $"[{p.Kind} {p.Seq}] {p.Message}"));

    [Fact]
    public async Task Untouched_log_verifies_with_every_record_covered_and_the_writer_open_then_signed_after_a_clean_stop()
    {
        var (log, _) = await WriteSignedLogAsync();
        await using (log)
        {
            var report = await log.VerifyAsync();
            Assert.True(report.Ok, Describe(report));
            Assert.Equal(15, report.Rows);
            Assert.Equal(3, report.Chains);
            Assert.Equal(15, report.SignedRows);
            Assert.Equal(0, report.PendingRows);
            var writer = Assert.Single(report.Writers);
            Assert.Equal(AuditWriterState.Open, writer.State);

            await log.RestartAsync();
            report = await log.VerifyAsync();
            Assert.True(report.Ok, Describe(report));
            Assert.Equal(AuditWriterState.Signed, Assert.Single(report.Writers, w => w.Rows > 0).State);
        }
    }

    [Fact]
    public async Task Editing_a_statement_without_fixing_the_hash_is_named_as_the_first_bad_record()
    {
        var (log, sessions) = await WriteSignedLogAsync();
        await using (log)
        {
            var target = await SeqAsync(log, sessions[1], 3);
            await log.TamperAsync($"UPDATE orleansgate_audit SET statement_normalized = replace(statement_normalized, 's2', 's9') WHERE seq = {target}");

            var report = await log.VerifyAsync();

            Assert.False(report.Ok);
            Assert.Equal(target, report.Problems[0].Seq);
            Assert.Contains("was altered", report.Problems[0].Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("statement")]
    [InlineData("decision")]
    [InlineData("outcome")]
    public async Task Editing_a_record_and_recomputing_every_hash_of_its_chain_is_caught_by_the_writer_s_signature(string field)
    {
        var (log, sessions) = await WriteSignedLogAsync();
        await using (log)
        {
            var target = await SeqAsync(log, sessions[0], 2);
            await AuditForger.RewriteAsync(log, sessions[0], 2, row => field switch
            {
                "statement" => row with { Statement = "SELECT $1 AS harmless" },
                "decision" => row with { Decision = "Deny" },
                _ => row with { Outcome = "42501" },
            });

            var report = await log.VerifyAsync();

            // Every chain still verifies: the forger recomputed them. The signature over what the writer wrote does not.
            Assert.DoesNotContain(report.Problems, p => p.Kind == AuditProblemKind.Chain);
            var problem = Assert.Single(report.Problems);
            Assert.Equal(AuditProblemKind.Writer, problem.Kind);
            Assert.Contains("do not match signature #2", problem.Message, StringComparison.Ordinal);
            Assert.True(problem.Seq <= target, $"the signed range starts at seq {problem.Seq}, after the edited record {target}");
        }
    }

    [Fact]
    public async Task Deleting_a_middle_record_is_named_by_its_chain_and_by_its_writer()
    {
        var (log, sessions) = await WriteSignedLogAsync();
        await using (log)
        {
            var deleted = await SeqAsync(log, sessions[0], 3);
            await log.TamperAsync($"DELETE FROM orleansgate_audit WHERE seq = {deleted}");

            var report = await log.VerifyAsync();

            Assert.False(report.Ok);
            Assert.Equal(await SeqAsync(log, sessions[0], 4), report.Problems[0].Seq);
            Assert.Contains("records #3..#3 of this session are missing", report.Problems[0].Message, StringComparison.Ordinal);
            Assert.Contains(report.Problems, p => p.Kind == AuditProblemKind.Writer && p.Message.Contains("are missing (deleted)", StringComparison.Ordinal));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Deleting_a_session_s_tail_is_caught_whether_it_was_deleted_before_or_after_the_writer_signed_it(bool signedFirst)
    {
        var (log, sessions) = await WriteSignedLogAsync();
        await using (log)
        {
            // Two more records of session 0, the writer's newest; deleted right after they were written (0 ms later), or once signed.
            var session = AuditLog.Session(sessions[0]);
            var chain = AuditChain.Resume(log.Sink, sessions[0]);
            await chain.AppendAsync(AuditLog.Statement(session, "SELECT $1 AS late1"));
            await chain.AppendAsync(AuditLog.Statement(session, "SELECT $1 AS late2"));
            if (signedFirst)
            {
                await log.SignAsync();
            }

            await log.TamperAsync($"DELETE FROM orleansgate_audit WHERE session_id = '{sessions[0]}' AND session_seq > 5");
            if (!signedFirst)
            {
                await log.SignAsync(); // signed as written, not as read back: the digest still holds the two records
            }

            var report = await log.VerifyAsync();

            Assert.False(report.Ok);
            var problem = Assert.Single(report.Problems);
            Assert.Equal(AuditProblemKind.Writer, problem.Kind);
            Assert.Contains("records #16..#17 of writer", problem.Message, StringComparison.Ordinal);
            Assert.Contains("are missing (deleted)", problem.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Swapping_two_records_within_a_session_is_named_as_reordering()
    {
        var (log, sessions) = await WriteSignedLogAsync();
        await using (log)
        {
            var (a, b) = (await SeqAsync(log, sessions[2], 2), await SeqAsync(log, sessions[2], 4));
            await log.TamperAsync($"UPDATE orleansgate_audit SET seq = -1 WHERE seq = {a}; UPDATE orleansgate_audit SET seq = {a} WHERE seq = {b}; UPDATE orleansgate_audit SET seq = {b} WHERE seq = -1");

            var report = await log.VerifyAsync();

            Assert.False(report.Ok);
            Assert.Equal(a, report.Problems[0].Seq);
            Assert.Contains("rows were reordered", report.Problems[0].Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Swapping_two_records_of_different_sessions_is_named_as_reordering_by_their_writer()
    {
        var (log, sessions) = await WriteSignedLogAsync();
        await using (log)
        {
            // Session 0's record #2 and session 1's record #4: each chain keeps its own order, the global order changes.
            var (a, b) = (await SeqAsync(log, sessions[0], 2), await SeqAsync(log, sessions[1], 4));
            await log.TamperAsync($"UPDATE orleansgate_audit SET seq = -1 WHERE seq = {a}; UPDATE orleansgate_audit SET seq = {a} WHERE seq = {b}; UPDATE orleansgate_audit SET seq = {b} WHERE seq = -1");

            var report = await log.VerifyAsync();

            Assert.False(report.Ok);
            Assert.Contains(report.Problems, p => p.Message.Contains("rows were reordered", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Reordering_the_writer_s_own_numbers_is_caught_by_its_signature()
    {
        var (log, sessions) = await WriteSignedLogAsync();
        await using (log)
        {
            var (a, b) = (await SeqAsync(log, sessions[0], 2), await SeqAsync(log, sessions[1], 2));
            await log.TamperAsync(
                $"UPDATE orleansgate_audit SET writer_seq = -writer_seq WHERE seq IN ({a}, {b}); " +
                $"UPDATE orleansgate_audit SET writer_seq = (SELECT -writer_seq FROM orleansgate_audit WHERE seq = {b}) WHERE seq = {a}; " +
                $"UPDATE orleansgate_audit SET writer_seq = (SELECT -writer_seq FROM orleansgate_audit WHERE seq = {a}) WHERE seq = {b} AND writer_seq < 0; " +
                $"UPDATE orleansgate_audit SET writer_seq = -writer_seq WHERE writer_seq < 0");

            var report = await log.VerifyAsync();

            Assert.False(report.Ok);
            Assert.Contains(report.Problems, p => p.Kind == AuditProblemKind.Writer);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_forged_record_with_a_valid_chain_hash_under_the_live_writer_is_caught_whether_inserted_before_or_after_its_next_signature(bool afterSignature)
    {
        var log = await AuditLog.StartAsync(fixture, o => o.Writers = 1);
        await using (log)
        {
            var sessions = await AppendAsync(log, 2, 3);
            if (afterSignature)
            {
                await log.SignAsync();
            }

            // The writer's next number, taken by the forger first, with a chain hash that links.
            var writer = log.Sink.WriterIds[0];
            var forged = await AuditForger.InsertAfterAsync(log, sessions[0], writer, 7, "SELECT $1 AS forged");

            // The writer goes on writing (its own #7 onwards) and signs, as a live writer does.
            await AppendAsync(log, 1, 2);
            await log.SignAsync();

            var report = await log.VerifyAsync();

            Assert.False(report.Ok);
            var problem = Assert.Single(report.Problems);
            Assert.Equal((AuditProblemKind.Writer, forged), (problem.Kind, problem.Seq));
            Assert.Contains("it was not written by that writer", problem.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_forged_record_after_the_writer_s_end_is_named_as_covered_by_no_signature()
    {
        var (log, sessions) = await WriteSignedLogAsync();
        await using (log)
        {
            var writer = log.Sink.WriterIds[0];
            await log.RestartAsync(); // the writer signs its end at #15
            var forged = await AuditForger.InsertAfterAsync(log, sessions[2], writer, 16, "SELECT $1 AS forged");

            var report = await log.VerifyAsync();

            var problem = Assert.Single(report.Problems);
            Assert.Equal(forged, problem.Seq);
            Assert.Contains("comes after the writer's end at #15", problem.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_forged_writer_with_a_key_of_its_own_is_reported_as_unsigned_and_its_signatures_as_untrusted()
    {
        var (log, _) = await WriteSignedLogAsync();
        await using (log)
        {
            // A whole writer of the forger's on the same store: chains that verify, and a start and signatures made with
            // a key the forger holds (the gateway's private key never leaves its node).
            var (forgerKey, _) = Fixtures.TestAuditKeys.Create("forger");
            var forger = await log.StartOtherWriterAsync(forgerKey);
            var chain = AuditChain.Start(forger, "forged-" + Guid.NewGuid().ToString("N"));
            await chain.AppendAsync(AuditLog.Statement(AuditLog.Session(chain.ChainId), "SELECT $1 AS forged"));
            Assert.True(await forger.SignNowAsync(CancellationToken.None));
            var forgedWriter = forger.WriterIds[0];

            var report = await log.VerifyAsync();

            Assert.False(report.Ok);
            Assert.DoesNotContain(report.Problems, p => p.Kind == AuditProblemKind.Chain);
            Assert.Contains(report.Problems, p => p.Message.Contains($"writer {forgedWriter} has no valid signed start", StringComparison.Ordinal));
            Assert.Contains(report.Problems, p => p.Message.Contains("which is not among the trusted keys", StringComparison.Ordinal));
            Assert.Equal(AuditWriterState.Unsigned, Assert.Single(report.Writers, w => w.Writer == forgedWriter).State);
        }
    }

    [Fact]
    public async Task Audit_verify_command_exits_1_and_prints_the_first_bad_record()
    {
        var (log, sessions) = await WriteSignedLogAsync();
        await using (log)
        {
            var config = Path.Combine(Directory.CreateTempSubdirectory("orleansgate-config-").FullName, "orleansgate.json");
            await File.WriteAllTextAsync(config, System.Text.Json.JsonSerializer.Serialize(new
            {
                OrleansGate = new { StateDatabase = log.ConnectionString, Audit = new { TrustedKeysPath = log.PublicKeyPath, log.CheckpointFile } },
            }));
            var (okCode, okOutput) = await RunAsync("--config", config, "audit", "verify");
            Assert.Equal(0, okCode);
            Assert.Contains("15 records covered by signatures, 0 not signed yet", okOutput, StringComparison.Ordinal);
            Assert.Contains(": open, 15 records, #1..#15 signed", okOutput, StringComparison.Ordinal);

            var target = await SeqAsync(log, sessions[0], 5);
            await log.TamperAsync($"UPDATE orleansgate_audit SET rule = 'allow-al1' WHERE seq = {target}");
            var (code, output) = await RunAsync("--config", config, "audit", "verify");

            Assert.Equal(1, code);
            Assert.Contains($"BROKEN: first bad record at seq {target}", output, StringComparison.Ordinal);

            var (searchCode, json) = await RunAsync("--config", config, "audit", "search", "--agent", "agent-t", "--since", "1h", "--decision", "allow", "--json");
            Assert.Equal(0, searchCode);
            Assert.Equal(15, json.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
            Assert.Contains("\"statement\":\"SELECT $1 AS s0\"", json, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Update_delete_and_truncate_are_refused_by_the_database_while_the_triggers_are_on()
    {
        var (log, sessions) = await WriteSignedLogAsync();
        await using (log)
        {
            var first = await SeqAsync(log, sessions[0], 1);
            foreach (var sql in new[]
            {
                $"UPDATE orleansgate_audit SET rule = 'x' WHERE seq = {first}", $"DELETE FROM orleansgate_audit WHERE seq = {first}", "TRUNCATE orleansgate_audit",
                "DELETE FROM orleansgate_audit_signature", "UPDATE orleansgate_audit_signature SET digest = 'x'", "TRUNCATE orleansgate_audit_signature",
            })
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
