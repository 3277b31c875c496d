using Npgsql;
using OrleansGate.Host.Hosting;
using OrleansGate.IntegrationTests.Fixtures;

namespace OrleansGate.IntegrationTests.Gateway;

/// <summary>The same executable split into a silo process and a stateless edge process (an Orleans client).</summary>
[Collection(GatewayCollection.Name)]
public sealed class RolesTests(GatewayFixture fixture)
{
    [Fact]
    public async Task Edge_role_relays_through_grains_hosted_by_a_separate_silo_role()
    {
        // Tokens still come from the collection's node (role all), which also serves as a second silo.
        await using var silo = await GatewayNode.StartAsync(fixture.Settings.OtherNode("silo-only"), GatewayRole.Silo);
        await using var edge = await GatewayNode.StartAsync(fixture.Settings.OtherNode("edge-only"), GatewayRole.Edge);

        await using var connection = new NpgsqlConnection(edge.ConnectionString(await fixture.Node.GetTokenAsync()));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM customers", connection);
        Assert.Equal(3L, (long)(await command.ExecuteScalarAsync())!);

        await using var state = new NpgsqlConnection(fixture.Settings.StateConnectionString);
        await state.OpenAsync();
        await using var audit = new NpgsqlCommand("SELECT count(*) FROM orleansgate_audit WHERE edge_node = 'edge-only' AND kind = 'Login'", state);
        Assert.Equal(1L, (long)(await audit.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task Silo_role_opens_no_postgres_listener()
    {
        var settings = fixture.Settings.OtherNode("silo-no-listener");
        await using var silo = await GatewayNode.StartAsync(settings, GatewayRole.Silo);
        await using var connection = new NpgsqlConnection(silo.ConnectionString(await fixture.Node.GetTokenAsync()));
        var error = await Assert.ThrowsAsync<NpgsqlException>(() => connection.OpenAsync());
        Assert.IsNotType<PostgresException>(error);
    }
}
