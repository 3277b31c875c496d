using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OrleansGate.Grains;
using OrleansGate.IntegrationTests.Fixtures;

namespace OrleansGate.IntegrationTests.Identity;

/// <summary>
/// The agent directory in 64 shards, so no single grain takes a write on every login: each token id is recorded,
/// found and revoked in its own shard, listing asks them all, and the unsharded directory of earlier releases is
/// merged so its revocations still hold.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class AgentDirectoryShardTests(GatewayFixture fixture)
{
    [Fact]
    public async Task Each_token_id_is_recorded_and_found_in_its_own_shard_and_listing_sees_every_shard()
    {
        var grains = fixture.Node.Services.GetRequiredService<IGrainFactory>();
        var directory = new AgentDirectory(grains);
        var issuer = $"https://spread-{Guid.NewGuid():N}.example.test";
        var agent = $"{issuer}|spread-agent";
        var ids = Enumerable.Range(0, 64).Select(i => $"spread-{i}").ToList();
        foreach (var id in ids)
        {
            Assert.False(await directory.Record(agent, issuer, id, DateTimeOffset.UtcNow.AddMinutes(10)));
        }

        foreach (var id in ids)
        {
            var owner = Assert.Single(await directory.FindToken(id), o => o.Issuer == issuer);
            Assert.Equal(agent, owner.Agent);

            // Only its own shard knows it.
            var other = directory.Shard((AgentDirectory.ShardOf(id) + 1) % AgentDirectory.Shards);
            Assert.DoesNotContain(await other.FindToken(id), o => o.Issuer == issuer);
        }

        var holding = new List<int>();
        for (var shard = 0; shard < AgentDirectory.Shards; shard++)
        {
            if ((await directory.Shard(shard).ListAgents()).Contains(agent))
            {
                holding.Add(shard);
            }
        }

        Assert.Equal(ids.Select(AgentDirectory.ShardOf).Distinct().Order(), holding);
        Assert.Contains(agent, await directory.ListAgents());
        Assert.Contains(issuer, await directory.ListIssuers());
    }

    [Fact]
    public async Task A_token_revoked_in_the_unsharded_directory_of_an_earlier_release_is_still_refused_after_the_upgrade()
    {
        // A cluster of its own, so its shards have never been activated when the old directory is written.
        await using var node = await GatewayNode.StartAsync(fixture.Settings.OtherNode("directory-upgrade", GatewaySettings.OwnCluster("directory-upgrade")));
        var grains = node.Services.GetRequiredService<IGrainFactory>();
        var subject = $"agent-upgrade-{Guid.NewGuid():N}";
        var jti = Guid.NewGuid().ToString("N");
        var legacy = grains.GetGrain<IAgentDirectoryGrain>(AgentDirectory.LegacyKey);
        await legacy.RevokeToken(fixture.Settings.Issuer, jti, DateTimeOffset.UtcNow.AddHours(1), "revoked before the upgrade");
        Assert.False(await legacy.Record($"{fixture.Settings.Issuer}|{subject}-old", fixture.Settings.Issuer, "old-" + jti, DateTimeOffset.UtcNow.AddMinutes(10)));

        var token = await ResignedToken.CreateAsync(fixture.Node, c => (c["sub"], c["jti"]) = (subject, jti));
        await using var connection = new NpgsqlConnection(node.ConnectionString(token, user: subject));
        var error = await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync());
        Assert.Equal("28000", error.SqlState);
        Assert.Equal("session refused: token revoked", error.MessageText);

        // The old directory's used tokens and agents moved too.
        var directory = new AgentDirectory(grains);
        Assert.Equal($"{fixture.Settings.Issuer}|{subject}-old", Assert.Single(await directory.FindToken("old-" + jti)).Agent);
        Assert.Contains($"{fixture.Settings.Issuer}|{subject}-old", await directory.ListAgents());
    }
}
