using Microsoft.IdentityModel.Tokens;

namespace OrleansGate.Edge.Identity;

/// <summary>Supplies the public keys an issuer signs its tokens with.</summary>
public interface IIssuerKeySource
{
    /// <summary>
    /// Returns the current signing keys of <paramref name="issuer"/>. Throws when they cannot be obtained;
    /// the validator then refuses the token (fail closed) rather than accepting it unchecked.
    /// </summary>
    ValueTask<IReadOnlyList<SecurityKey>> GetSigningKeysAsync(IssuerOptions issuer, CancellationToken ct);

    /// <summary>
    /// As <see cref="GetSigningKeysAsync(IssuerOptions, CancellationToken)"/>, for a token naming <paramref name="keyId"/>:
    /// a caching source may refetch (rate-limited) when no cached key carries that id, which is how key rotation is picked up.
    /// </summary>
    ValueTask<IReadOnlyList<SecurityKey>> GetSigningKeysAsync(IssuerOptions issuer, string? keyId, CancellationToken ct) =>
        GetSigningKeysAsync(issuer, ct);
}
