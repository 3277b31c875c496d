using System.Net;
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

    private static async Task<(HttpStatusCode Status, string Body)> ReadyzAsync(GatewayNode node)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var response = await http.GetAsync($"http://127.0.0.1:{node.Settings.HttpPort}/readyz");
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
