namespace OrleansGate.Host.DevIdp;

/// <summary>
/// A browser-facing app without a secret (e.g. the approvals page) that signs people in with the authorization code
/// flow and PKCE; PKCE, not a secret, is what ties the code to the app that asked for it.
/// </summary>
public sealed class DevIdpPublicClient
{
    /// <summary>The client id; the <c>cid</c> of access tokens and the <c>aud</c> of ID tokens issued to it.</summary>
    public string ClientId { get; set; } = "";

    /// <summary>Where codes may be sent, compared to the request's <c>redirect_uri</c> exactly (ordinal, no normalisation).</summary>
    public List<string> RedirectUris { get; set; } = [];
}
