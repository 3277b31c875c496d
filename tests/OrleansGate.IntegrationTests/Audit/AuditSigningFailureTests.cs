using Microsoft.Extensions.Logging;
using OrleansGate.Audit;
using OrleansGate.Grains.Audit;
using OrleansGate.Audit.Signing;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.IntegrationTests.Infrastructure;

namespace OrleansGate.IntegrationTests.Audit;

/// <summary>
/// Signatures that cannot be stored (here: the checkpoint file cannot be written) are kept and stored in order once they
/// can; the outage is logged once; and once rows have stayed unsigned for MaxUnsignedAge, new records are refused.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class AuditSigningFailureTests(PostgresFixture fixture)
{
    [Fact]
    public async Task Signatures_that_cannot_be_anchored_are_kept_logged_once_refuse_records_after_MaxUnsignedAge_and_are_stored_in_order_later()
    {
        var captured = CapturedLog.Standalone();
        using var loggers = LoggerFactory.Create(builder => builder.SetMinimumLevel(LogLevel.Trace).AddProvider(captured));
        await using var log = await AuditLog.StartAsync(fixture, o => o.Writers = 1, loggers);
        var session = AuditLog.Session("fail-" + Guid.NewGuid().ToString("N"));
        var chain = AuditChain.Start(log.Sink, session.SessionId);
        await chain.AppendAsync(AuditLog.Statement(session, "SELECT $1 AS before"));
        await log.SignAsync();

        // The file's path is taken by a folder: appends fail (EISDIR), as on a full or read-only disk.
        var kept = log.CheckpointFile + ".kept";
        File.Move(log.CheckpointFile, kept);
        Directory.CreateDirectory(log.CheckpointFile);
        var mark = captured.Mark;
        await chain.AppendAsync(AuditLog.Statement(session, "SELECT $1 AS unsigned1"));
        for (var i = 0; i < 5; i++)
        {
            Assert.False(await log.Sink.SignNowAsync(CancellationToken.None));
        }

        // Within MaxUnsignedAge records are still taken; past it they are refused (fail closed).
        await chain.AppendAsync(AuditLog.Statement(session, "SELECT $1 AS unsigned2"));
        log.Time.Advance(log.Options.MaxUnsignedAge + TimeSpan.FromMilliseconds(1));
        var refused = await Assert.ThrowsAsync<AuditUnavailableException>(() => chain.AppendAsync(AuditLog.Statement(session, "SELECT $1 AS refused")));
        Assert.Contains("audit signatures cannot be stored", refused.Message, StringComparison.Ordinal);

        Directory.Delete(log.CheckpointFile);
        File.Move(kept, log.CheckpointFile);
        await log.SignAsync();
        await chain.AppendAsync(AuditLog.Statement(session, "SELECT $1 AS after"));
        await log.SignAsync();

        var signer = captured.Since(mark).Where(e => e.Category == typeof(AuditSigner).FullName).ToList();
        Assert.Single(signer, e => e.Level >= LogLevel.Error);
        Assert.Single(signer, e => e.Message.Contains("stored again", StringComparison.Ordinal));
        var report = await log.VerifyAsync();
        Assert.True(report.Ok, string.Join("\n", report.Problems));
        Assert.Equal((4L, 0L), (report.SignedRows, report.PendingRows));
    }
}
