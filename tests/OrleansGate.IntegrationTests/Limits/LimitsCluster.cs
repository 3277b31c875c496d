using OrleansGate.Host.Hosting;
using OrleansGate.IntegrationTests.Fixtures;

namespace OrleansGate.IntegrationTests.Limits;

/// <summary>
/// Three nodes of one cluster of its own, in this process: one of role all (silo and edge) and two edges, all applying
/// <see cref="Policy"/>. Tokens come from the collection's node (its development IdP), which these nodes trust.
/// </summary>
public sealed class LimitsCluster : IAsyncDisposable
{
    /// <summary>Everything allowed, with the limits under test keyed on the subject's prefix.</summary>
    public const string Policy = GatewaySettings.AllowAllPolicy + """

        limits:
          - name: rate-test
            match: { subjects: ["rate-*"] }
            statements_per_second: 50
          - name: loose-rate
            match: { subjects: ["rate-*"] }
            statements_per_second: 1000
          - name: two-sessions
            match: { subjects: ["sessions-*"] }
            sessions: 2
          - name: blast-radius
            match: { subjects: ["budget-*"] }
            rows_changed: { max: 5, window: 1h }
          - name: small-reads
            match: { subjects: ["reads-*"] }
            rows_read: { max: 3, window: 1h }
        """;

    private LimitsCluster(IReadOnlyList<GatewayNode> nodes) => Nodes = nodes;

    /// <summary>The node of role all first, then the two edges.</summary>
    public IReadOnlyList<GatewayNode> Nodes { get; }

    public static async Task<LimitsCluster> StartAsync(GatewayFixture fixture, string prefix)
    {
        var overrides = GatewaySettings.OwnCluster(prefix);
        overrides["OrleansGate:Policy:File"] = GatewaySettings.WritePolicyFile(Policy);
        var all = await GatewayNode.StartAsync(fixture.Settings.OtherNode(prefix + "-all", overrides));
        try
        {
            var edges = await Task.WhenAll(
                GatewayNode.StartAsync(fixture.Settings.OtherNode(prefix + "-edge-1", overrides), GatewayRole.Edge),
                GatewayNode.StartAsync(fixture.Settings.OtherNode(prefix + "-edge-2", overrides), GatewayRole.Edge));
            return new LimitsCluster([all, .. edges]);
        }
        catch
        {
            await all.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = Nodes.Count - 1; i >= 0; i--)
        {
            await Nodes[i].DisposeAsync();
        }
    }
}
