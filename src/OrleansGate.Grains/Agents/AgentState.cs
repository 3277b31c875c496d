namespace OrleansGate.Grains.Agents;

/// <summary>What survives an agent grain's deactivation and any silo's death.</summary>
[GenerateSerializer]
public sealed class AgentState
{
    [Id(0)] public long TotalLogins { get; set; }
    [Id(1)] public DateTimeOffset? LastLoginAt { get; set; }
    [Id(2)] public string? LastEdgeNode { get; set; }
    [Id(3)] public bool Revoked { get; set; }
    [Id(4)] public string? RevokedReason { get; set; }
    [Id(5)] public DateTimeOffset? RevokedAt { get; set; }

    /// <summary>Revoked token ids, each kept until the token would have expired anyway.</summary>
    [Id(6)] public Dictionary<string, DateTimeOffset> RevokedTokens { get; set; } = new(StringComparer.Ordinal);
}
