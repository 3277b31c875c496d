using OrleansGate.Model;

namespace OrleansGate.Edge.Identity;

/// <summary>One trusted token issuer, bound from <c>OrleansGate:Identity:Issuers:N</c>.</summary>
public sealed class IssuerOptions
{
    /// <summary>The issuer identifier, matched exactly (ordinal, no trailing-slash folding) against the token's <c>iss</c>.</summary>
    public string Issuer { get; set; } = "";

    /// <summary>The OpenID Connect discovery document; defaults to <c>{Issuer}/.well-known/openid-configuration</c>.</summary>
    public string? DiscoveryUrl { get; set; }

    /// <summary>Accepted <c>aud</c> values; at least one is required.</summary>
    public List<string> Audiences { get; set; } = [];

    /// <summary>Accepted JWS <c>alg</c> values, compared with exact case; only asymmetric algorithms may be configured.</summary>
    public List<string> Algorithms { get; set; } = ["RS256", "ES256", "PS256"];

    /// <summary>The claim holding the agent's groups: a JSON array of strings or a single string.</summary>
    public string GroupsClaim { get; set; } = "groups";

    /// <summary>
    /// Claims every token of this issuer must carry (any value but null), beyond the always-required <c>iss</c>,
    /// <c>aud</c>, <c>exp</c> and <c>sub</c>; e.g. <c>jti</c> so that tokens can be revoked by id, or <c>cid</c>.
    /// </summary>
    public List<string> RequiredClaims { get; set; } = [];

    /// <summary>
    /// Replay refusal across the cluster: how often one token (by <c>jti</c>) may open a session. Off
    /// (<see cref="TokenReuse.Allowed"/>) by default; any other value makes <c>jti</c> a required claim.
    /// </summary>
    public TokenReuse TokenReuse { get; set; } = TokenReuse.Allowed;

    /// <summary>
    /// When set, the JWS <c>typ</c> header must name this type (e.g. <c>at+jwt</c>, RFC 9068), compared case-insensitively
    /// with an optional <c>application/</c> prefix (RFC 7515 §4.1.9); unset, <c>typ</c> is not checked.
    /// </summary>
    public string? TokenType { get; set; }

    /// <summary>The largest <see cref="ClockSkew"/> accepted: tokens are refused no later than five minutes past exp.</summary>
    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromMinutes(5);

    /// <summary>Tolerance for <c>exp</c> and <c>nbf</c> against the gateway's clock (at most <see cref="MaxClockSkew"/>).</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Whether discovery and JWKS must be fetched over HTTPS; <c>false</c> is accepted only for a loopback discovery URL (the development IdP).</summary>
    public bool RequireHttps { get; set; } = true;

    /// <summary>
    /// How long the last keys fetched successfully keep being used while the IdP cannot be reached; after that,
    /// tokens of this issuer are refused (fail closed) until a fetch succeeds again.
    /// </summary>
    public TimeSpan KeysMaxAge { get; set; } = TimeSpan.FromHours(24);

    internal string EffectiveDiscoveryUrl =>
        string.IsNullOrWhiteSpace(DiscoveryUrl) ? Issuer.TrimEnd('/') + "/.well-known/openid-configuration" : DiscoveryUrl;
}
