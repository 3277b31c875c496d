using Npgsql;
using OrleansGate.Host.Hosting;
using OrleansGate.IntegrationTests.Fixtures;

namespace OrleansGate.IntegrationTests.Audit;

/// <summary>
/// A node without a silo (role edge) writes through a silo's audit store; when that store is down, its statements are
/// refused with what the store said, as on a node with a silo, not with a serialisation error of the way back.
/// </summary>
[Collection(AuditClusterCollection.Name)]
public sealed class AuditEdgeOutageTests(AuditClusterFixture fixture)
{
    [Fact]
    public async Task An_edge_only_node_refuses_statements_with_the_audit_stores_own_error_while_it_is_down()
    {
        await using var edge = await GatewayNode.StartAsync(fixture.Settings.OtherNode("audit-edge-outage"), GatewayRole.Edge);
        await using var connection = new NpgsqlConnection(edge.ConnectionString(await edge.GetTokenAsync()) + ";Server Compatibility Mode=NoTypeLoading");
        await connection.OpenAsync();
        await using (var before = new NpgsqlCommand("SELECT 1 AS edge_outage_before", connection))
        {
            Assert.Equal(1, await before.ExecuteScalarAsync());
        }

        await fixture.AuditStore.StopAsync();
        try
        {
            await using var during = new NpgsqlCommand("SELECT 2 AS edge_outage_during", connection);
            var refused = await Assert.ThrowsAsync<PostgresException>(() => during.ExecuteScalarAsync());
            Assert.Equal("58000", refused.SqlState);
            Assert.StartsWith("statement refused by the gateway: audit store unavailable:", refused.MessageText, StringComparison.Ordinal);
            Assert.DoesNotContain("codec", refused.MessageText, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("did not answer", refused.MessageText, StringComparison.Ordinal);
        }
        finally
        {
            await fixture.AuditStore.StartAgainAsync();
        }
    }
}
