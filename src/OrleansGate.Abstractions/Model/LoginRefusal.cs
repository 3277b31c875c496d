namespace OrleansGate.Model;

/// <summary>
/// A login the gateway refused before any session existed. Holds only what the edge already logs: never the
/// token, and the claimed user as the client sent it (unauthenticated). Issuer, subject and token id are set
/// only when the token was valid (the refusal came later, e.g. the agent is revoked).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record LoginRefusal(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] string SqlState,
    [property: Id(2)] string Reason,
    [property: Id(3)] string ClaimedUser,
    [property: Id(4)] string ClientAddress,
    [property: Id(5)] string EdgeNode)
{
    [Id(6)] public string? Issuer { get; init; }

    [Id(7)] public string? Subject { get; init; }

    [Id(8)] public string? TokenId { get; init; }

    [Id(9)] public string? Target { get; init; }
}
