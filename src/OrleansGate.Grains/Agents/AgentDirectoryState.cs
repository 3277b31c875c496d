namespace OrleansGate.Grains.Agents;

/// <summary>
/// The directory's stored state. Grain state is stored as JSON, whose object keys are strings, hence a map per issuer
/// rather than a composite key. (An earlier <c>Tokens</c> map keyed by token id alone, ambiguous across issuers, is
/// no longer read.)
/// </summary>
[GenerateSerializer]
public sealed class AgentDirectoryState
{
    [Id(0)] public SortedSet<string> Agents { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Issuer → token id → (agent, expiry) of tokens used to log in; dropped once the token has expired.</summary>
    [Id(2)] public Dictionary<string, Dictionary<string, (string Agent, DateTimeOffset Expires)>> TokensByIssuer { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Issuer → token id → until when logins with it are refused: the cluster-wide revoked-token set.</summary>
    [Id(3)] public Dictionary<string, Dictionary<string, DateTimeOffset>> RevokedTokensByIssuer { get; set; } = new(StringComparer.Ordinal);

    /// <summary>True once this shard has merged its part of the unsharded directory of earlier releases.</summary>
    [Id(4)] public bool LegacyMerged { get; set; }
}
