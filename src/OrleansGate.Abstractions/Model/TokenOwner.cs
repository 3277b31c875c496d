namespace OrleansGate.Model;

/// <summary>The agent a used token id belongs to: the token's issuer, the agent key (issuer|subject) and when the token expires.</summary>
[GenerateSerializer, Immutable]
public sealed record TokenOwner(
    [property: Id(0)] string Issuer,
    [property: Id(1)] string Agent,
    [property: Id(2)] DateTimeOffset Expires);
