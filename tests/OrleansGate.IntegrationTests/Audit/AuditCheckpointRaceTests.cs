using OrleansGate.Grains.Audit;
using OrleansGate.IntegrationTests.Infrastructure;

namespace OrleansGate.IntegrationTests.Audit;

/// <summary>Checkpoints asked for at the same time (the periodic loop and an explicit one) are taken one after another.</summary>
[Collection(PostgresCollection.Name)]
public sealed class AuditCheckpointRaceTests(PostgresFixture fixture)
{
    [Fact]
    public async Task Concurrent_checkpoints_sign_consecutive_ranges_that_verify()
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

            var taken = await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => log.Sink.CheckpointNowAsync(CancellationToken.None)));

            // Exactly one of them had something new to sign; the others found nothing after it.
            Assert.Equal(1, taken.Count(t => t));
        }

        var report = await log.VerifyAsync();
        Assert.True(report.Ok, string.Join("\n", report.Problems));
    }
}
