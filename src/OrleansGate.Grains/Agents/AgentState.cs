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

    /// <summary>
    /// Live sessions by id as of the last write: written with each login's own write, while logouts only reach
    /// storage with the next write, so this is a superset of what is live (see <see cref="AgentGrain"/>).
    /// </summary>
    [Id(7)] public Dictionary<string, AgentLiveSession> Sessions { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Token ids that opened a session under <see cref="Model.TokenReuse.SingleUse"/>, each kept until its token expires.</summary>
    [Id(8)] public Dictionary<string, DateTimeOffset> UsedTokens { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Revocations in force whose audit record is not durable yet, oldest first (written by <see cref="AgentGrain"/> when the audit store answers).</summary>
    [Id(9)] public List<AgentAuditEvent> UnauditedEvents { get; set; } = [];

    /// <summary>When the last revocation of the agent or of one of its tokens was taken in hand (before any edge was told).</summary>
    [Id(10)] public DateTimeOffset? LastRevocationAt { get; set; }

    /// <summary>The window of the agent's rows-read budget counting now (null: none yet).</summary>
    [Id(11)] public AgentRowWindow? RowsRead { get; set; }

    /// <summary>The window of the agent's rows-changed budget counting now (null: none yet).</summary>
    [Id(12)] public AgentRowWindow? RowsChanged { get; set; }
}

/// <summary>Rows counted since <see cref="Start"/>, for a budget whose window began then.</summary>
[GenerateSerializer]
public sealed class AgentRowWindow
{
    [Id(0)] public DateTimeOffset Start { get; set; }
    [Id(1)] public long Used { get; set; }
}
