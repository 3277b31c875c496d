namespace OrleansGate.Grains.Agents;

[GenerateSerializer]
public sealed class AgentDirectoryState
{
    [Id(0)] public SortedSet<string> Agents { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Token id → (agent, expiry); entries are dropped once the token has expired.</summary>
    [Id(1)] public Dictionary<string, (string Agent, DateTimeOffset Expires)> Tokens { get; set; } = new(StringComparer.Ordinal);
}
