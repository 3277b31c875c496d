namespace OrleansGate.Host.DevIdp;

/// <summary>What one authorization code stands for: who signed in, for which client and redirect URI, under which PKCE challenge.</summary>
/// <param name="Nonce">The request's OpenID Connect nonce, echoed in the ID token; empty when none was given.</param>
/// <param name="Expires">After this instant the code is refused.</param>
internal sealed record DevIdpAuthorizationGrant(
    string ClientId,
    string RedirectUri,
    string CodeChallenge,
    string Username,
    string Nonce,
    IReadOnlyList<string> Scopes,
    DateTimeOffset AuthenticatedAt,
    DateTimeOffset Expires);
