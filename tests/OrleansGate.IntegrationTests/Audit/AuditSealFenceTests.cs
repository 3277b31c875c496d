using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OrleansGate.Audit;
using OrleansGate.Audit.Verify;
using OrleansGate.IntegrationTests.Fixtures;

namespace OrleansGate.IntegrationTests.Audit;

/// <summary>
/// A node that was only paused (SIGSTOP, a frozen VM) long enough to be declared dead is sealed by a live node; when it
/// resumes it must not append after the seal (docs/audit.md, "A crashed writer is sealed"). Here the seal is made while
/// the node runs, as the live node makes it: the node's next record must not land.
/// </summary>
[Collection(AuditClusterCollection.Name)]
public sealed class AuditSealFenceTests(AuditClusterFixture fixture)
{
    [Fact]
    public async Task A_writer_sealed_while_its_node_runs_writes_nothing_after_its_seal_and_the_statement_is_refused_with_58000()
    {
        var overrides = fixture.AuditOverrides();
        overrides["OrleansGate:Audit:Writers"] = "1"; // one writer, so the seal covers every writer that may take the record
        await using var paused = await GatewayNode.StartAsync(fixture.Settings.OtherNode("audit-paused", overrides));
        var token = await fixture.Node.GetTokenAsync();
        await using var connection = new NpgsqlConnection(paused.ConnectionString(token) + ";Server Compatibility Mode=NoTypeLoading");
        await connection.OpenAsync();
        await using (var before = new NpgsqlCommand("SELECT 1 AS fence_before", connection))
        {
            Assert.Equal(1, await before.ExecuteScalarAsync());
        }

        var writer = Assert.Single(((PostgresAuditSink)paused.Services.GetRequiredService<IAuditSink>()).WriterIds);
        var sealer = (PostgresAuditSink)fixture.Node.Services.GetRequiredService<IAuditSink>();
        Assert.NotNull(await sealer.SealAsync(writer, "test: its silo was declared dead", CancellationToken.None));

        await using (var after = new NpgsqlCommand("SELECT 1 AS fence_after", connection))
        {
            var refused = await Assert.ThrowsAsync<PostgresException>(() => after.ExecuteScalarAsync());
            Assert.Equal("58000", refused.SqlState);
            Assert.Contains($"this node's audit writer {writer} was sealed by another node, which saw this node declared dead; restart the node", refused.MessageText, StringComparison.Ordinal);
        }

        // Nothing of the writer after its seal, and no end signature contradicting it once the node stops cleanly.
        Assert.Equal(0, (await fixture.StatementCountsAsync()).GetValueOrDefault("SELECT $1 AS fence_after"));
        await paused.StopAsync();
        var report = await fixture.VerifyAsync();
        Assert.True(report.Ok, string.Join("\n", report.Problems) + "\n" + await fixture.DescribeSignaturesAsync());
        var sealedWriter = Assert.Single(report.Writers, w => w.Writer == writer);
        Assert.Equal(AuditWriterState.Sealed, sealedWriter.State);
        Assert.Equal(1, (await fixture.StatementCountsAsync()).GetValueOrDefault("SELECT $1 AS fence_before"));
    }
}
