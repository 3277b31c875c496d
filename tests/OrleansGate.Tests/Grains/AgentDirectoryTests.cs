using OrleansGate.Grains;

namespace OrleansGate.Tests.Grains;

public sealed class AgentDirectoryTests
{
    // Where a token id's state lives must never change between releases or processes: a revocation stored in one shard
    // would be looked for in another. These values pin the hash (FNV-1a, 64 shards).
    [Theory]
    [InlineData("", 5)]
    [InlineData("a", 44)]
    [InlineData("jti-0001", 46)]
    [InlineData("http://idp|agent", 47)]
    public void A_key_s_shard_is_fixed(string key, int shard) => Assert.Equal(shard, AgentDirectory.ShardOf(key));

    [Fact]
    public void Sixty_four_token_ids_land_on_many_shards()
    {
        var shards = Enumerable.Range(0, 64).Select(i => AgentDirectory.ShardOf($"spread-{i}")).ToHashSet();
        Assert.Equal(42, shards.Count);
        Assert.All(shards, s => Assert.InRange(s, 0, AgentDirectory.Shards - 1));
    }

    [Theory]
    [InlineData("shard-00", 0)]
    [InlineData("shard-07", 7)]
    [InlineData("shard-63", 63)]
    public void Shard_keys_round_trip(string key, int shard)
    {
        Assert.Equal(shard, AgentDirectory.ShardNumber(key));
        Assert.Equal(key, AgentDirectory.ShardKey(shard));
    }

    [Theory]
    [InlineData("all")]
    [InlineData("shard-64")]
    [InlineData("shard-7")]
    [InlineData("shard-+1")]
    [InlineData("shard- 1")]
    [InlineData("shard-")]
    [InlineData("SHARD-01")]
    public void Other_keys_are_not_shards(string key) => Assert.Null(AgentDirectory.ShardNumber(key));
}
