using Microsoft.IdentityModel.Tokens;

namespace OrleansGate.Edge.Identity;

/// <summary>The signing keys of one issuer as last fetched successfully; replaced whole, never mutated.</summary>
/// <param name="FetchedAt">When the keys were fetched; with the issuer's KeysMaxAge, bounds how long they may be used.</param>
/// <param name="FreshUntil">Until when the JWKS response's Cache-Control lets them be used without asking again.</param>
internal sealed record IssuerKeySnapshot(IReadOnlyList<SecurityKey> Keys, DateTimeOffset FetchedAt, DateTimeOffset FreshUntil)
{
    public bool Has(string? keyId) =>
        keyId is null || Keys.Any(k => string.Equals(k.KeyId, keyId, StringComparison.Ordinal));
}
