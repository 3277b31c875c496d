using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;
using OrleansGate.Host.Hosting;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.IntegrationTests.Infrastructure;

namespace OrleansGate.IntegrationTests.Gateway;

/// <summary><c>GET /readyz</c>: what a load balancer's health check sees of a node.</summary>
[Collection(GatewayCollection.Name)]
public sealed class ReadinessTests(GatewayFixture fixture)
{
    [Fact]
    public async Task A_member_with_a_policy_and_a_reachable_store_is_ready()
    {
        var (status, body) = await ReadyzAsync(fixture.Node);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("ready\n", body);
    }

    [Fact]
    public async Task A_node_without_a_policy_is_not_ready_and_says_so()
    {
        // Its own cluster and service id: a fresh policy grain that nothing has applied a policy to.
        var id = "readyz-" + Guid.NewGuid().ToString("N")[..8];
        await using var node = await GatewayNode.StartAsync(fixture.Settings.OtherNode("readyz-no-policy", new Dictionary<string, string?>
        {
            ["OrleansGate:Cluster:ClusterId"] = id,
            ["OrleansGate:Cluster:ServiceId"] = id,
            ["OrleansGate:Policy:File"] = null,
        }));

        var (status, body) = await ReadyzAsync(node);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.StartsWith("not ready: policy: no policy has been loaded", body, StringComparison.Ordinal);
        Assert.DoesNotContain("cluster:", body, StringComparison.Ordinal);
        Assert.DoesNotContain("audit:", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_edge_is_ready_while_connected_to_a_silo_and_names_the_cluster_once_it_is_not()
    {
        // A cluster of its own: the edge's only gateway is this silo, not the collection's node.
        var id = "readyz-edge-" + Guid.NewGuid().ToString("N")[..8];
        var cluster = new Dictionary<string, string?> { ["OrleansGate:Cluster:ClusterId"] = id, ["OrleansGate:Cluster:ServiceId"] = id };
        await using var silo = await GatewayNode.StartAsync(fixture.Settings.OtherNode("readyz-silo", cluster), GatewayRole.Silo);
        await using var edge = await GatewayNode.StartAsync(fixture.Settings.OtherNode("readyz-edge", cluster), GatewayRole.Edge);
        var last = (Status: HttpStatusCode.OK, Body: "");

        // The edge receives the policy from the silo's policy grain shortly after it connects.
        await Poll.UntilAsync(async () => (last = await ReadyzAsync(edge)).Status == HttpStatusCode.OK, "the edge did not become ready", 20);
        await silo.StopAsync();
        await Poll.UntilAsync(async () => (last = await ReadyzAsync(edge)).Status == HttpStatusCode.ServiceUnavailable, "the edge stayed ready without its silo", 20);

        Assert.Contains("cluster: this edge's cluster client is connected to no gateway", last.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_silo_finds_its_own_row_in_the_membership_table_and_reads_a_row_declared_dead_as_dead()
    {
        // What /readyz reads for a silo: a silo the others declared dead (it was stopped, then continued) is not ready
        // although its own view still says Active. Its own row here: Active.
        var local = fixture.Node.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress;
        var clusterId = fixture.Node.Services.GetRequiredService<IOptions<ClusterOptions>>().Value.ClusterId;
        await using var state = new NpgsqlConnection(fixture.Settings.StateConnectionString);
        await state.OpenAsync();
        Assert.Equal(SiloStatus.Active, await NodeReadiness.MembershipStatusAsync(state, clusterId, local, CancellationToken.None));

        // A row declared dead, in a cluster nothing runs in (a running silo that reads itself Dead stops its process).
        var other = "readyz-dead-" + Guid.NewGuid().ToString("N")[..8];
        var dead = SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 1), 7);
        await using (var insert = new NpgsqlCommand(
            """
            WITH c AS (INSERT INTO orleansgate_cluster (cluster_id) VALUES ($1) RETURNING cluster_id)
            INSERT INTO orleansgate_cluster_member (cluster_id, address, port, generation, silo_name, host_name, status, start_time, i_am_alive_time)
            SELECT cluster_id, '127.0.0.1', 1, 7, 'readyz-dead', 'readyz-dead', 6, now(), now() FROM c
            """, state) { Parameters = { new() { Value = other } } })
        {
            await insert.ExecuteNonQueryAsync();
        }

        try
        {
            Assert.Equal(SiloStatus.Dead, await NodeReadiness.MembershipStatusAsync(state, other, dead, CancellationToken.None));
            Assert.Null(await NodeReadiness.MembershipStatusAsync(state, other, SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 1), 8), CancellationToken.None));
        }
        finally
        {
            await using var delete = new NpgsqlCommand("DELETE FROM orleansgate_cluster WHERE cluster_id = $1", state) { Parameters = { new() { Value = other } } };
            await delete.ExecuteNonQueryAsync();
        }
    }

    private static async Task<(HttpStatusCode Status, string Body)> ReadyzAsync(GatewayNode node)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var response = await http.GetAsync($"http://127.0.0.1:{node.Settings.HttpPort}/readyz");
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
