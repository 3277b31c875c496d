using OrleansGate.Audit;
using OrleansGate.Grains.Audit;
using OrleansGate.IntegrationTests.Infrastructure;

namespace OrleansGate.IntegrationTests.Audit;

/// <summary>
/// A chain written from a stale head (two writers of one chain: a duplicate activation, or two clusters sharing the
/// audit store) breaks the unique (session_id, session_seq) key. Only that append fails; the other sessions'
/// appends that shared its batch are written.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class AuditBatchConflictTests(PostgresFixture fixture)
{
    [Fact]
    public async Task Stale_chain_head_fails_only_its_own_append_not_the_rest_of_its_batch()
    {
        // One writer that waits for the batch to fill: every append below lands in the same batch.
        await using var log = await AuditLog.StartAsync(fixture, o =>
        {
            o.Writers = 1;
            o.MaxBatchDelay = TimeSpan.FromMilliseconds(500);
        });
        var shared = AuditLog.Session($"shared-{Guid.NewGuid():N}");
        var current = AuditChain.Start(log.Sink, shared.SessionId);
        var stale = AuditChain.Start(log.Sink, shared.SessionId);
        await current.AppendAsync(AuditLog.Statement(shared, "SELECT $1 AS first"));

        var others = Enumerable.Range(0, 5).Select(i => AuditLog.Session($"other{i}-{Guid.NewGuid():N}")).ToList();
        var appends = others.Select(s => AuditChain.Start(log.Sink, s.SessionId).AppendAsync(AuditLog.Statement(s, "SELECT $1 AS other"))).ToList();
        var conflicting = stale.AppendAsync(AuditLog.Statement(shared, "SELECT $1 AS second"));

        var refused = await Assert.ThrowsAsync<AuditUnavailableException>(() => conflicting);
        Assert.StartsWith("audit chain conflict:", refused.Message, StringComparison.Ordinal);
        Assert.Equal(Enumerable.Repeat(1L, others.Count), await Task.WhenAll(appends));

        // The stale writer reads the head back and goes on from there: no fork, no gap.
        await stale.AppendAsync(AuditLog.Statement(shared, "SELECT $1 AS third"));
        Assert.Equal(2, await log.ScalarAsync($"SELECT count(*) FROM orleansgate_audit WHERE session_id = '{shared.SessionId}'"));
        var report = await log.VerifyAsync();
        Assert.True(report.Ok, string.Join("\n", report.Problems));
    }
}
