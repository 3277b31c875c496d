using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.Messaging;
using OrleansGate.Host.Cluster;
using OrleansGate.Host.Hosting;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.IntegrationTests.Infrastructure;

namespace OrleansGate.IntegrationTests.Gateway;

/// <summary>
/// The edges' gateway health probe on real nodes: a silo publishes its <c>/healthz</c> in its membership row, and an
/// edge-only node takes its gateway list through the probe and finds that silo answering.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class GatewayHealthProbeWiringTests(GatewayFixture fixture)
{
    [Fact]
    public async Task A_silo_publishes_its_health_url_and_an_edge_probes_it_and_keeps_it_in_its_gateway_list()
    {
        // A cluster of its own: the edge's only gateway is this silo.
        var id = "probe-" + Guid.NewGuid().ToString("N")[..8];
        var cluster = new Dictionary<string, string?> { ["OrleansGate:Cluster:ClusterId"] = id, ["OrleansGate:Cluster:ServiceId"] = id };
        await using var silo = await GatewayNode.StartAsync(fixture.Settings.OtherNode("probe-silo", cluster), GatewayRole.Silo);
        await using var edge = await GatewayNode.StartAsync(fixture.Settings.OtherNode("probe-edge", cluster), GatewayRole.Edge);

        string? published = null;
        await Poll.UntilAsync(async () => (published = await HealthUrlAsync(id)) is not null, "the silo did not publish its health URL", 20);
        Assert.Equal($"http://127.0.0.1:{silo.Settings.HttpPort}/healthz", published);
        using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) })
        {
            Assert.Equal("ok", await http.GetStringAsync(published));
        }

        var probe = edge.Services.GetRequiredService<GatewayHealthProbe>();
        var gateways = edge.Services.GetRequiredService<IGatewayListProvider>();
        Assert.IsType<ProbedGatewayListProvider>(gateways);
        await probe.ProbeOnceAsync(CancellationToken.None);
        await probe.ProbeOnceAsync(CancellationToken.None);
        var listed = (await gateways.GetGateways()).Select(ProbedGatewayListProvider.Endpoint).ToList();
        var gateway = Assert.Single(listed);
        Assert.Equal(silo.Settings.GatewayPort, gateway.Port);
        Assert.False(probe.IsUnresponsive(gateway));
    }

    private async Task<string?> HealthUrlAsync(string clusterId)
    {
        await using var state = new NpgsqlConnection(fixture.Settings.StateConnectionString);
        await state.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT health_url FROM orleansgate_cluster_member WHERE cluster_id = $1 AND status = 3", state)
        {
            Parameters = { new() { Value = clusterId } },
        };
        return await command.ExecuteScalarAsync() as string;
    }
}
