using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OrleansGate.Audit;
using OrleansGate.Grains.Audit;
using OrleansGate.IntegrationTests.Fixtures;

namespace OrleansGate.IntegrationTests.Audit;

/// <summary>While the audit store is down the writer logs the outage, not every failure.</summary>
[Collection(AuditClusterCollection.Name)]
public sealed class AuditOutageLogTests(AuditClusterFixture fixture)
{
    private const int FailedBatches = 200;

    [Fact]
    public async Task Audit_store_outage_logs_one_error_per_outage_and_one_recovery_line_not_one_per_batch()
    {
        var sink = (PostgresAuditSink)fixture.Node.Services.GetRequiredService<IAuditSink>();

        // An earlier outage of this collection may not be over for the writer yet: it succeeds once first, so this
        // outage is a new one.
        Assert.True(await WriteAndCheckpointAsync(sink, "before"), "the audit store did not answer before the test");
        var captured = CapturedLog.Of(fixture.Node);
        var mark = captured.Mark;

        await fixture.AuditStore.StopAsync();
        try
        {
            for (var i = 0; i < FailedBatches; i++)
            {
                var id = Guid.NewGuid().ToString("N");
                await Assert.ThrowsAsync<AuditUnavailableException>(() => AuditChain.Start(sink, id).AppendAsync(AuditLog.Statement(AuditLog.Session(id), "SELECT $1 AS down")));
            }
        }
        finally
        {
            await fixture.AuditStore.StartAgainAsync();
        }

        Assert.True(await WriteAndCheckpointAsync(sink, "back"), "the audit store did not answer again");

        var entries = captured.Since(mark);
        var writer = entries.Where(e => e.Category == typeof(PostgresAuditSink).FullName).ToList();
        // One Error when the outage starts (a summary only after a minute, which this test does not last).
        Assert.Single(writer, e => e.Level >= LogLevel.Error);

        // One line when it ends, with the count of what failed in between.
        var back = Assert.Single(writer, e => e.Message.Contains("answers again", StringComparison.Ordinal));
        Assert.True(long.Parse(back.Value("Failures")!, System.Globalization.CultureInfo.InvariantCulture) >= FailedBatches);
    }

    /// <summary>A client retries (boundedly) until its record is written, then the writer signs it.</summary>
    private static async Task<bool> WriteAndCheckpointAsync(PostgresAuditSink sink, string alias)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var id = Guid.NewGuid().ToString("N");
            try
            {
                await AuditChain.Start(sink, id).AppendAsync(AuditLog.Statement(AuditLog.Session(id), $"SELECT $1 AS {alias}"));
                return await sink.SignNowAsync(CancellationToken.None);
            }
            catch (AuditUnavailableException)
            {
            }
        }

        return false;
    }
}
