namespace OrleansGate.Model;

/// <summary>What an operator sees of one agent: revocation and live sessions; <c>LastRevocationAt</c> is when the agent grain last took a revocation (agent or token) in hand, before any edge was told.</summary>
[GenerateSerializer, Immutable]
public sealed record AgentStatus(
    [property: Id(0)] string Agent,
    [property: Id(1)] bool Revoked,
    [property: Id(2)] string? RevokedReason,
    [property: Id(3)] IReadOnlyList<string> RevokedTokenIds,
    [property: Id(4)] IReadOnlyList<SessionInfo> Sessions,
    [property: Id(5)] long TotalLogins,
    [property: Id(6)] DateTimeOffset? LastRevocationAt = null);
