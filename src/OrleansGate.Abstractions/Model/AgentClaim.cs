namespace OrleansGate.Model;

/// <summary>
/// One token claim as policy rules see it: a string, number or boolean becomes one value, an array of those
/// becomes its values. A claim the gateway cannot carry (an object, null, a nested array, or past the size caps)
/// is kept by name only and marked <see cref="Unreadable"/>, so a deny rule keyed on it still matches (fail closed).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record AgentClaim(
    [property: Id(0)] string Name,
    [property: Id(1)] IReadOnlyList<string> Values,
    [property: Id(2)] bool Unreadable = false)
{
    /// <summary>At most this many claims (beyond iss, sub, aud, exp, nbf, iat and jti); more refuses the token.</summary>
    public const int MaxClaims = 64;

    /// <summary>Longest claim name carried; a longer name refuses the token.</summary>
    public const int MaxNameLength = 128;

    /// <summary>Longest value carried; a longer value makes the claim unreadable.</summary>
    public const int MaxValueLength = 256;

    /// <summary>Most array entries carried; a longer array makes the claim unreadable.</summary>
    public const int MaxValues = 32;
}
