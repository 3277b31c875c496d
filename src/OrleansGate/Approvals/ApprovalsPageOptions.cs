namespace OrleansGate.Host.Approvals;

/// <summary>
/// The approvals web page (<c>OrleansGate:Approvals:Page</c>): which OpenID Connect provider approvers sign in with, as
/// which public client. The page is served only when both <see cref="Issuer"/> and <see cref="ClientId"/> are set.
/// </summary>
/// <remarks>
/// The client must allow the redirect URI <c>{node}/approvals/callback</c> exactly as the browser reaches the node, and
/// an IdP on another origin must allow CORS from the node for its discovery document and token endpoint, since the page
/// exchanges the code from the browser. Read once at start: a change needs a restart.
/// </remarks>
public sealed class ApprovalsPageOptions
{
    /// <summary>The IdP's issuer URL; its discovery document gives the authorization and token endpoints.</summary>
    public string? Issuer { get; set; }

    /// <summary>The public client (no secret; PKCE) registered for the page at the IdP.</summary>
    public string? ClientId { get; set; }

    /// <summary>The scopes asked for: <c>openid</c> for the ID token's nonce, <c>groups</c> for the approver groups.</summary>
    public string Scope { get; set; } = "openid groups";

    /// <summary>Whether the page is served at all.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(Issuer) && !string.IsNullOrWhiteSpace(ClientId);
}
