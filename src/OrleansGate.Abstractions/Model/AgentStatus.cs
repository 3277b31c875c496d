namespace OrleansGate.Model;

/// <summary>What an operator sees of one agent: revocation and live sessions.</summary>
[GenerateSerializer, Immutable]
public sealed record AgentStatus(
    [property: Id(0)] string Agent,
    [property: Id(1)] bool Revoked,
    [property: Id(2)] string? RevokedReason,
    [property: Id(3)] IReadOnlyList<string> RevokedTokenIds,
    [property: Id(4)] IReadOnlyList<SessionInfo> Sessions,
    [property: Id(5)] long TotalLogins);
