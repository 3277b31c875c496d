namespace OrleansGate.Model;

/// <summary>
/// What the unsharded directory (key "all", before sharding) holds for one shard: the agents, used tokens and revoked
/// tokens that now belong to it. A shard merges this once, on its first activation, so no revocation is lost by the move.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record AgentDirectoryShardExport(
    [property: Id(0)] IReadOnlyList<string> Agents,
    [property: Id(1)] IReadOnlyList<UsedTokenEntry> UsedTokens,
    [property: Id(2)] IReadOnlyList<RevokedTokenEntry> RevokedTokens);

/// <summary>A token id used to log in: whose it is and when it expires.</summary>
[GenerateSerializer, Immutable]
public sealed record UsedTokenEntry([property: Id(0)] string Issuer, [property: Id(1)] string TokenId, [property: Id(2)] string Agent, [property: Id(3)] DateTimeOffset Expires);

/// <summary>A token id revoked cluster-wide: refused at every login until <see cref="Until"/>.</summary>
[GenerateSerializer, Immutable]
public sealed record RevokedTokenEntry([property: Id(0)] string Issuer, [property: Id(1)] string TokenId, [property: Id(2)] DateTimeOffset Until);
