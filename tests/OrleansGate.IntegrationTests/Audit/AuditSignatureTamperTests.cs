using OrleansGate.Audit;
using OrleansGate.Grains.Audit;
using OrleansGate.Audit.Verify;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.IntegrationTests.Infrastructure;

namespace OrleansGate.IntegrationTests.Audit;

/// <summary>
/// The signatures, the checkpoint file outside the database, a writer that died and was sealed, and key rotation:
/// each tampering with them is named by <c>audit verify</c>, and the untouched cases verify.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class AuditSignatureTamperTests(PostgresFixture fixture)
{
    /// <summary>One writer; three rounds of six records, each signed: signatures #2, #3, #4 after the start #1.</summary>
    private async Task<(AuditLog Log, string Session)> WriteSignedRoundsAsync()
    {
        var log = await AuditLog.StartAsync(fixture, o => o.Writers = 1);
        var session = await AppendAsync(log, null, 6);
        await log.SignAsync();
        await AppendAsync(log, session, 6);
        await log.SignAsync();
        await AppendAsync(log, session, 6);
        await log.SignAsync();
        return (log, session);
    }

    private static async Task<string> AppendAsync(AuditLog log, string? sessionId, int count)
    {
        var session = AuditLog.Session(sessionId ?? "sig-" + Guid.NewGuid().ToString("N"));
        var chain = sessionId is null ? AuditChain.Start(log.Sink, session.SessionId) : AuditChain.Resume(log.Sink, session.SessionId);
        for (var i = 0; i < count; i++)
        {
            await chain.AppendAsync(AuditLog.Statement(session, $"SELECT $1 AS r{Guid.NewGuid():N}"));
        }

        return session.SessionId;
    }

    private static string Describe(AuditVerifyReport report) => string.Join("\n", report.Problems.Select(p => $"[{p.Kind} {p.Seq}] {p.Message}"));

    [Fact]
    public async Task Deleting_a_middle_signature_row_is_named_as_a_missing_signature_and_by_the_checkpoint_file()
    {
        var (log, _) = await WriteSignedRoundsAsync();
        await using (log)
        {
            await log.TamperAsync("DELETE FROM orleansgate_audit_signature WHERE number = 3");

            var report = await log.VerifyAsync();

            Assert.Contains(report.Problems, p => p.Message.Contains("signature #3 of writer", StringComparison.Ordinal) && p.Message.Contains("but not in the database (deleted)", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Signatures_stored_after_the_snapshot_was_read_are_a_note_not_a_deletion()
    {
        var (log, _) = await WriteSignedRoundsAsync();
        await using (log)
        {
            // As after an outage of the store: #3 and #4 are in the file, and reach the database while verify runs.
            var saved = "saved_signatures_" + Guid.NewGuid().ToString("N");
            await log.TamperAsync($"CREATE TABLE {saved} AS SELECT * FROM orleansgate_audit_signature WHERE number IN (3, 4); DELETE FROM orleansgate_audit_signature WHERE number IN (3, 4)");

            var report = await log.VerifyWithAsync(
                OrleansGate.Audit.Signing.AuditKeys.LoadTrusted(log.PublicKeyPath),
                [log.CheckpointFile],
                _ => log.TamperAsync($"INSERT INTO orleansgate_audit_signature SELECT * FROM {saved}; DROP TABLE {saved}"));

            Assert.True(report.Ok, Describe(report));
            Assert.Contains(report.Notes, n => n.Contains("2 signatures of", StringComparison.Ordinal) && n.Contains("were stored after the database was read", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Deleting_every_copy_in_the_database_of_a_middle_signature_leaves_a_numbering_gap()
    {
        var (log, _) = await WriteSignedRoundsAsync();
        await using (log)
        {
            await log.TamperAsync("DELETE FROM orleansgate_audit_signature WHERE number = 3");

            // Verified without the file: the database alone still shows the gap.
            var report = await log.VerifyWithAsync(OrleansGate.Audit.Signing.AuditKeys.LoadTrusted(log.PublicKeyPath), []);

            Assert.Contains(report.Problems, p => p.Message.Contains("signatures #3..#3 of writer", StringComparison.Ordinal) && p.Message.Contains("are missing (deleted)", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Editing_a_signature_row_is_named_as_an_invalid_signature_and_as_differing_from_the_file()
    {
        var (log, _) = await WriteSignedRoundsAsync();
        await using (log)
        {
            await log.TamperAsync("UPDATE orleansgate_audit_signature SET writer_seq = writer_seq - 1 WHERE number = 3");

            var report = await log.VerifyAsync();

            Assert.Contains(report.Problems, p => p.Message.Contains("signature #3 of writer", StringComparison.Ordinal) && p.Message.Contains("has an invalid signature", StringComparison.Ordinal));
            Assert.Contains(report.Problems, p => p.Kind == AuditProblemKind.Anchor && p.Message.Contains("differs between checkpoint file", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Deleting_the_newest_records_and_their_signature_from_the_database_is_caught_by_the_checkpoint_file()
    {
        var (log, _) = await WriteSignedRoundsAsync();
        await using (log)
        {
            // Everything the last signature covers goes, and the signature with it: the database alone looks consistent.
            await log.TamperAsync("DELETE FROM orleansgate_audit WHERE writer_seq > 12; DELETE FROM orleansgate_audit_signature WHERE number = 4");
            var databaseOnly = await log.VerifyWithAsync(OrleansGate.Audit.Signing.AuditKeys.LoadTrusted(log.PublicKeyPath), []);
            Assert.True(databaseOnly.Ok, Describe(databaseOnly));

            var report = await log.VerifyAsync();

            // The file's copy of signature #4 still covers #13..#18.
            var problem = Assert.Single(report.Problems);
            Assert.Equal(AuditProblemKind.Writer, problem.Kind);
            Assert.Contains("records #13..#18 of writer", problem.Message, StringComparison.Ordinal);
            Assert.Contains("are missing (deleted); signature #4 (sign,", problem.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Cutting_the_last_line_of_the_checkpoint_file_is_named()
    {
        var (log, _) = await WriteSignedRoundsAsync();
        await using (log)
        {
            var lines = await File.ReadAllLinesAsync(log.CheckpointFile);
            await File.WriteAllLinesAsync(log.CheckpointFile, lines[..^1]);

            var report = await log.VerifyAsync();

            var problem = Assert.Single(report.Problems);
            Assert.Equal(AuditProblemKind.Anchor, problem.Kind);
            Assert.Contains("signature #4 of writer", problem.Message, StringComparison.Ordinal);
            Assert.Contains("is in the database but not in checkpoint file", problem.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Editing_a_line_of_the_checkpoint_file_is_named()
    {
        var (log, _) = await WriteSignedRoundsAsync();
        await using (log)
        {
            var lines = await File.ReadAllLinesAsync(log.CheckpointFile);
            lines[2] = lines[2].Replace("\"writerSeq\":12", "\"writerSeq\":11", StringComparison.Ordinal);
            await File.WriteAllLinesAsync(log.CheckpointFile, lines);

            var report = await log.VerifyAsync();

            Assert.Contains(report.Problems, p => p.Message.Contains("has an invalid signature", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task A_crashed_writer_is_sealed_and_then_verifies_with_every_record_covered()
    {
        var (log, session) = await WriteSignedRoundsAsync();
        await using (log)
        {
            var dead = log.Sink.WriterIds[0];
            await AppendAsync(log, session, 5); // #19..#23: the unsigned tail
            await log.CrashAsync();

            var before = await log.VerifyAsync();
            Assert.True(before.Ok, Describe(before));
            var open = Assert.Single(before.Writers, w => w.Writer == dead);
            Assert.Equal((AuditWriterState.Open, 5L), (open.State, open.Pending));

            Assert.NotNull(await log.Sink.SealAsync(dead, "test: the writer was killed", CancellationToken.None));
            Assert.Null(await log.Sink.SealAsync(dead, "test: sealed twice", CancellationToken.None));

            var report = await log.VerifyAsync();
            Assert.True(report.Ok, Describe(report));
            var writer = Assert.Single(report.Writers, w => w.Writer == dead);
            Assert.Equal((AuditWriterState.Sealed, 23L, 23L, 0L), (writer.State, writer.Covered, writer.SignedThrough, writer.Pending));
            Assert.Equal(log.Sink.WriterIds[0], writer.SealedBy);
        }
    }

    [Fact]
    public async Task Deleting_part_of_a_crashed_writer_s_unsigned_tail_before_it_is_sealed_is_named_by_the_seal()
    {
        var (log, session) = await WriteSignedRoundsAsync();
        await using (log)
        {
            var dead = log.Sink.WriterIds[0];
            await AppendAsync(log, session, 5);
            await log.CrashAsync();
            await log.TamperAsync($"DELETE FROM orleansgate_audit WHERE writer = '{dead}' AND writer_seq IN (20, 21)");

            Assert.NotNull(await log.Sink.SealAsync(dead, "test: the writer was killed", CancellationToken.None));
            var report = await log.VerifyAsync();

            Assert.Contains(report.Problems, p => p.Kind == AuditProblemKind.Writer && p.Message.Contains($"rows #20..#21 of writer {dead} were already missing when", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Deleting_part_of_a_crashed_writer_s_tail_after_it_was_sealed_is_named()
    {
        var (log, session) = await WriteSignedRoundsAsync();
        await using (log)
        {
            var dead = log.Sink.WriterIds[0];
            await AppendAsync(log, session, 5);
            await log.CrashAsync();
            Assert.NotNull(await log.Sink.SealAsync(dead, "test: the writer was killed", CancellationToken.None));
            await log.TamperAsync($"DELETE FROM orleansgate_audit WHERE writer = '{dead}' AND writer_seq = 23");

            var report = await log.VerifyAsync();

            var problem = Assert.Single(report.Problems);
            Assert.Contains($"records #23..#23 of writer {dead} are missing (deleted)", problem.Message, StringComparison.Ordinal);
            Assert.Contains("(seal,", problem.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Rotating_the_signing_key_keeps_the_log_verifiable_with_both_public_keys_and_only_with_both()
    {
        var (log, session) = await WriteSignedRoundsAsync();
        await using (log)
        {
            var (nextPrivate, nextPublic) = TestAuditKeys.Create("next");
            File.Copy(nextPrivate, log.Options.SigningKeyPath!, overwrite: true);
            await AppendAsync(log, session, 3);
            await log.SignAsync();

            var both = await log.VerifyAsync(nextPublic);
            Assert.True(both.Ok, Describe(both));
            Assert.Equal(2, Assert.Single(both.Writers).KeyIds.Count);

            var oldOnly = await log.VerifyAsync();
            Assert.Contains(oldOnly.Problems, p => p.Message.Contains("signature #5 of writer", StringComparison.Ordinal) && p.Message.Contains("not among the trusted keys", StringComparison.Ordinal));
        }
    }
}
