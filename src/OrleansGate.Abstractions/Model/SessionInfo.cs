namespace OrleansGate.Model;

/// <summary>One client connection as the edge sees it after a successful login.</summary>
[GenerateSerializer, Immutable]
public sealed record SessionInfo(
    [property: Id(0)] string SessionId,
    [property: Id(1)] AgentIdentity Agent,
    [property: Id(2)] string? TokenId,
    [property: Id(3)] DateTimeOffset TokenExpires,
    [property: Id(4)] string Target,
    [property: Id(5)] string Protocol,
    [property: Id(6)] string EdgeNode,
    [property: Id(7)] string ClientAddress,
    [property: Id(8)] DateTimeOffset OpenedAt);
