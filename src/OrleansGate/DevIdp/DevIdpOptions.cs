namespace OrleansGate.Host.DevIdp;

/// <summary>The development identity provider, bound from <c>OrleansGate:DevIdp</c>. Never for production.</summary>
public sealed class DevIdpOptions
{
    /// <summary>Whether the IdP's endpoints are served at all.</summary>
    public bool Enabled { get; set; }

    /// <summary>The issuer URL, e.g. <c>http://127.0.0.1:18080/oauth2/default</c>; the endpoints live under its path.</summary>
    public string Issuer { get; set; } = "";

    /// <summary>The <c>aud</c> of every access token issued.</summary>
    public string Audience { get; set; } = "api://orleansgate";

    /// <summary>Where the RSA-2048 signing key is kept as a PEM file (mode 0600); created if missing.</summary>
    public string KeyDirectory { get; set; } = "";

    /// <summary>How long a key replaced by <c>orleansgate idp rotate-key</c> stays in the JWKS, so tokens it signed still validate.</summary>
    public TimeSpan PreviousKeyGrace { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long an access token is valid.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>The service apps allowed to obtain tokens with the client-credentials grant.</summary>
    public List<DevIdpClient> Clients { get; set; } = [];

    /// <summary>The people allowed to sign in on the login page of the authorization code flow.</summary>
    public List<DevIdpUser> Users { get; set; } = [];

    /// <summary>The apps allowed to use the authorization code flow (with PKCE, without a secret).</summary>
    public List<DevIdpPublicClient> PublicClients { get; set; } = [];
}
