using OrleansGate.Model;

namespace OrleansGate.Grains;

/// <summary>
/// The agent directory as one thing, stored as <see cref="Shards"/> grains so that no single grain takes a write on
/// every login. A login, a token lookup and a token revocation touch only the shard of the token id (of the agent key
/// when the token has none); listing agents or issuers asks every shard.
/// </summary>
/// <remarks>
/// The shard count is part of where state lives: changing it would strand what the other count's shards hold, so it is
/// a constant, not a setting. The directory before sharding (key <see cref="LegacyKey"/>) is read by each shard once.
/// </remarks>
public sealed class AgentDirectory(IGrainFactory grains)
{
    public const int Shards = 64;

    /// <summary>The key of the one directory grain of releases before sharding.</summary>
    public const string LegacyKey = "all";

    private const string ShardPrefix = "shard-";

    public static string ShardKey(int shard) => ShardPrefix + shard.ToString("D2", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The shard number of a key "shard-NN", or null for any other key.</summary>
    public static int? ShardNumber(string key) =>
        key.StartsWith(ShardPrefix, StringComparison.Ordinal)
        && int.TryParse(key.AsSpan(ShardPrefix.Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n)
        && n < Shards && key == ShardKey(n)
            ? n
            : null;

    /// <summary>FNV-1a over the key's UTF-16 code units: the same in every process and release (string.GetHashCode is not).</summary>
    public static int ShardOf(string key)
    {
        var hash = 2166136261u;
        foreach (var c in key)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)(hash % Shards);
    }

    /// <summary>The shard that records a login: the token id's, or the agent key's when the token has no id.</summary>
    public IAgentDirectoryGrain ForLogin(string agentKey, string? tokenId) => Shard(ShardOf(tokenId ?? agentKey));

    public IAgentDirectoryGrain ForToken(string tokenId) => Shard(ShardOf(tokenId));

    public IAgentDirectoryGrain Shard(int shard) => grains.GetGrain<IAgentDirectoryGrain>(ShardKey(shard));

    /// <inheritdoc cref="IAgentDirectoryGrain.Record"/>
    public Task<bool> Record(string agentKey, string issuer, string? tokenId, DateTimeOffset tokenExpires) =>
        ForLogin(agentKey, tokenId).Record(agentKey, issuer, tokenId, tokenExpires);

    /// <inheritdoc cref="IAgentDirectoryGrain.FindToken"/>
    public Task<IReadOnlyList<TokenOwner>> FindToken(string tokenId) => ForToken(tokenId).FindToken(tokenId);

    /// <inheritdoc cref="IAgentDirectoryGrain.RevokeToken"/>
    public Task RevokeToken(string issuer, string tokenId, DateTimeOffset keepUntil, string reason) =>
        ForToken(tokenId).RevokeToken(issuer, tokenId, keepUntil, reason);

    /// <summary>Every agent that has logged in, from all shards, in ordinal order.</summary>
    public async Task<IReadOnlyList<string>> ListAgents() => Union(await Task.WhenAll(Enumerable.Range(0, Shards).Select(s => Shard(s).ListAgents())));

    /// <summary>Every issuer seen at login, from all shards, in ordinal order.</summary>
    public async Task<IReadOnlyList<string>> ListIssuers() => Union(await Task.WhenAll(Enumerable.Range(0, Shards).Select(s => Shard(s).ListIssuers())));

    private static List<string> Union(IEnumerable<IReadOnlyList<string>> parts) =>
        [.. parts.SelectMany(p => p).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
}
