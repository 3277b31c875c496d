namespace OrleansGate.Grains.Agents;

/// <summary>What survives an agent grain's deactivation and any silo's death.</summary>
[GenerateSerializer]
public sealed class AgentState
{
    [Id(0)] public long TotalLogins { get; set; }
    [Id(1)] public DateTimeOffset? LastLoginAt { get; set; }
    [Id(2)] public string? LastEdgeNode { get; set; }
}
