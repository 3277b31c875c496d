namespace OrleansGate.Host.DevIdp;

/// <summary>A service app of the development IdP: its credentials and the groups put in its tokens.</summary>
public sealed class DevIdpClient
{
    /// <summary>The client id; also the token's <c>sub</c> and <c>cid</c>.</summary>
    public string ClientId { get; set; } = "";

    /// <summary>The client secret, compared in constant time.</summary>
    public string ClientSecret { get; set; } = "";

    /// <summary>The token's <c>groups</c> claim.</summary>
    public List<string> Groups { get; set; } = [];

    /// <summary>Custom string claims put in the client's tokens (as an Okta authorization server's custom claims), for policy <c>claims:</c> rules.</summary>
    public Dictionary<string, string> Claims { get; set; } = [];
}
