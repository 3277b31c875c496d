namespace OrleansGate.Edge.Identity;

/// <summary>Token validation settings, bound from <c>OrleansGate:Identity</c>.</summary>
public sealed class IdentityOptions
{
    /// <summary>The issuers whose tokens are accepted. A token naming any other issuer is refused.</summary>
    public List<IssuerOptions> Issuers { get; set; } = [];

    /// <summary>
    /// How long <c>agents revoke-token</c> keeps refusing a token id that has not been used to log in (its expiry is
    /// then unknown); a used token is refused until its own expiry plus the largest clock skew. Set it at least as
    /// long as the longest access-token lifetime of any issuer: after it, such a token would be accepted again.
    /// </summary>
    public TimeSpan RevokedTokenRetention { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Bounds of <see cref="RevokedTokenRetention"/>: the revoked-token set lives in one grain's state.</summary>
    public static readonly TimeSpan MinRevokedTokenRetention = TimeSpan.FromMinutes(5);

    /// <inheritdoc cref="MinRevokedTokenRetention"/>
    public static readonly TimeSpan MaxRevokedTokenRetention = TimeSpan.FromDays(30);

    /// <summary>The problem with <see cref="RevokedTokenRetention"/>, or null.</summary>
    public string? RevokedTokenRetentionProblem() =>
        RevokedTokenRetention < MinRevokedTokenRetention || RevokedTokenRetention > MaxRevokedTokenRetention
            ? $"OrleansGate:Identity:RevokedTokenRetention must be between {MinRevokedTokenRetention} and {MaxRevokedTokenRetention}."
            : null;
}
