using OrleansGate.Audit;
using OrleansGate.Grains.Audit;
using OrleansGate.IntegrationTests.Infrastructure;

namespace OrleansGate.IntegrationTests.Audit;

/// <summary>Signatures asked for at the same time (the periodic loop and an explicit one) are made one after another.</summary>
[Collection(PostgresCollection.Name)]
public sealed class AuditSignRaceTests(PostgresFixture fixture)
{
    [Fact]
    public async Task Concurrent_sign_requests_make_one_signature_per_writer_and_range_and_the_log_verifies()
    {
        await using var log = await AuditLog.StartAsync(fixture);
        for (var round = 0; round < 10; round++)
        {
            var sessions = Enumerable.Range(0, 4).Select(i => AuditLog.Session($"race{round}-{i}-{Guid.NewGuid():N}")).ToList();
            foreach (var session in sessions)
            {
                var chain = AuditChain.Start(log.Sink, session.SessionId);
                for (var n = 0; n < 5; n++)
                {
                    await chain.AppendAsync(AuditLog.Statement(session, $"SELECT $1 AS r{n}"));
                }
            }

            var before = await log.ScalarAsync("SELECT count(*) FROM orleansgate_audit_signature WHERE kind = 'sign'");
            Assert.All(await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => log.Sink.SignNowAsync(CancellationToken.None))), Assert.True);

            // One signature for each writer that wrote in this round; the other requests found nothing new to sign.
            var writers = await log.ScalarAsync($"SELECT count(DISTINCT writer) FROM orleansgate_audit WHERE session_id LIKE 'race{round}-%'");
            Assert.Equal(before + writers, await log.ScalarAsync("SELECT count(*) FROM orleansgate_audit_signature WHERE kind = 'sign'"));
        }

        var report = await log.VerifyAsync();
        Assert.True(report.Ok, string.Join("\n", report.Problems));
        Assert.Equal(0, report.PendingRows);
        Assert.Equal(200, report.SignedRows);
    }
}
