namespace OrleansGate.Host.DevIdp;

/// <summary>
/// A person who can sign in to the development IdP's login page (authorization code flow). The password is given by
/// reference only, so configuration files and their backups never hold it.
/// </summary>
public sealed class DevIdpUser
{
    /// <summary>The login name; also the <c>sub</c> of the user's tokens.</summary>
    public string Username { get; set; } = "";

    /// <summary>The name of an environment variable holding the password.</summary>
    public string? PasswordEnv { get; set; }

    /// <summary>A file whose first line is the password; read at each sign-in, so it can be replaced while running.</summary>
    public string? PasswordFile { get; set; }

    /// <summary>The tokens' <c>groups</c> claim.</summary>
    public List<string> Groups { get; set; } = [];

    /// <summary>Custom string claims put in the user's access tokens, as for <see cref="DevIdpClient.Claims"/>.</summary>
    public Dictionary<string, string> Claims { get; set; } = [];
}
