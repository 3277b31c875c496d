namespace OrleansGate.Model;

/// <summary>
/// What an operator sees of one agent: revocation and live sessions; <c>LastRevocationAt</c> is when the agent grain last
/// took a revocation (agent or token) in hand, before any edge was told; <c>UnconfirmedSessionIds</c> are listed sessions
/// whose edge did not answer when asked for this status (slow, cut off, or dead and not yet known to be).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record AgentStatus(
    [property: Id(0)] string Agent,
    [property: Id(1)] bool Revoked,
    [property: Id(2)] string? RevokedReason,
    [property: Id(3)] IReadOnlyList<string> RevokedTokenIds,
    [property: Id(4)] IReadOnlyList<SessionInfo> Sessions,
    [property: Id(5)] long TotalLogins,
    [property: Id(6)] DateTimeOffset? LastRevocationAt = null,
    [property: Id(7)] IReadOnlyList<string>? UnconfirmedSessionIds = null);
