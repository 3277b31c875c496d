using Microsoft.Extensions.Options;

namespace OrleansGate.Host.DevIdp;

/// <summary>Refuses, at startup, a development IdP configuration that could not issue verifiable tokens or would leak secrets.</summary>
internal sealed class DevIdpOptionsValidator : IValidateOptions<DevIdpOptions>
{
    internal static readonly TimeSpan MaxTokenLifetime = TimeSpan.FromHours(24);

    public ValidateOptionsResult Validate(string? name, DevIdpOptions options)
    {
        if (!options.Enabled)
        {
            return ValidateOptionsResult.Success;
        }

        const string At = "OrleansGate:DevIdp";
        var failures = new List<string>();
        if (!Uri.TryCreate(options.Issuer, UriKind.Absolute, out var issuer)
            || (issuer.Scheme != Uri.UriSchemeHttp && issuer.Scheme != Uri.UriSchemeHttps)
            || issuer.Query.Length > 0 || issuer.Fragment.Length > 0)
        {
            failures.Add($"{At}:Issuer '{options.Issuer}' must be an absolute http(s) URL without query or fragment.");
        }
        else if (issuer.Scheme == Uri.UriSchemeHttp && !issuer.IsLoopback)
        {
            // Client secrets and tokens would cross the network in clear text; the gateway refuses such an issuer too.
            failures.Add($"{At}:Issuer '{options.Issuer}' uses plain http on a non-loopback host; use https or 127.0.0.1.");
        }

        if (string.IsNullOrWhiteSpace(options.Audience))
        {
            failures.Add($"{At}:Audience is required.");
        }

        if (string.IsNullOrWhiteSpace(options.KeyDirectory))
        {
            failures.Add($"{At}:KeyDirectory is required.");
        }

        if (options.TokenLifetime < TimeSpan.FromSeconds(1) || options.TokenLifetime > MaxTokenLifetime)
        {
            failures.Add($"{At}:TokenLifetime must be between 00:00:01 and {MaxTokenLifetime}.");
        }

        if (options.PreviousKeyGrace < TimeSpan.Zero)
        {
            failures.Add($"{At}:PreviousKeyGrace must not be negative.");
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Clients.Count; i++)
        {
            var client = options.Clients[i];
            CheckClientId($"{At}:Clients:{i}", client.ClientId, ids, failures);

            if (string.IsNullOrEmpty(client.ClientSecret))
            {
                failures.Add($"{At}:Clients:{i}:ClientSecret is required.");
            }

            if (client.Groups.Exists(string.IsNullOrWhiteSpace))
            {
                failures.Add($"{At}:Clients:{i}:Groups must not contain empty names.");
            }

            foreach (var claim in client.Claims.Keys.Where(DevIdpTokenFactory.StandardClaims.Contains))
            {
                failures.Add($"{At}:Clients:{i}:Claims:{claim} names a claim the IdP sets itself.");
            }
        }

        ValidateUsers(options, ids, failures);
        ValidatePublicClients(options, ids, failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateUsers(DevIdpOptions options, HashSet<string> clientIds, List<string> failures)
    {
        const string At = "OrleansGate:DevIdp:Users";
        var usernames = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Users.Count; i++)
        {
            var user = options.Users[i];
            if (string.IsNullOrWhiteSpace(user.Username) || user.Username.Any(char.IsControl) || user.Username.Trim() != user.Username)
            {
                failures.Add($"{At}:{i}:Username is required and must have no control characters or surrounding spaces.");
            }
            else if (!usernames.Add(user.Username))
            {
                failures.Add($"{At}:{i}: user '{user.Username}' is configured more than once.");
            }
            else if (clientIds.Contains(user.Username))
            {
                // The username becomes the token's sub: a person would sign in as that service app's identity.
                failures.Add($"{At}:{i}: user '{user.Username}' has the id of a configured client; tokens would not tell them apart.");
            }

            if (!string.IsNullOrEmpty(user.PasswordEnv) && !string.IsNullOrEmpty(user.PasswordFile))
            {
                failures.Add($"{At}:{i}: set PasswordEnv or PasswordFile, not both.");
            }
            else if (!DevIdpCredentials.TryReadPassword(user, out _, out var problem))
            {
                failures.Add($"{At}:{i}: no password for user '{user.Username}': {problem}.");
            }

            if (user.Groups.Exists(string.IsNullOrWhiteSpace))
            {
                failures.Add($"{At}:{i}:Groups must not contain empty names.");
            }

            foreach (var claim in user.Claims.Keys.Where(DevIdpTokenFactory.StandardClaims.Contains))
            {
                failures.Add($"{At}:{i}:Claims:{claim} names a claim the IdP sets itself.");
            }
        }
    }

    private static void ValidatePublicClients(DevIdpOptions options, HashSet<string> clientIds, List<string> failures)
    {
        const string At = "OrleansGate:DevIdp:PublicClients";
        for (var i = 0; i < options.PublicClients.Count; i++)
        {
            var client = options.PublicClients[i];
            CheckClientId($"{At}:{i}", client.ClientId, clientIds, failures);

            if (client.RedirectUris.Count == 0)
            {
                failures.Add($"{At}:{i}:RedirectUris must name at least one URI.");
            }

            for (var j = 0; j < client.RedirectUris.Count; j++)
            {
                if (RedirectUriProblem(client.RedirectUris[j]) is { } problem)
                {
                    failures.Add($"{At}:{i}:RedirectUris:{j} '{client.RedirectUris[j]}' {problem}.");
                }
            }
        }
    }

    // Client ids are unique across Clients and PublicClients: a token's cid must name one app.
    private static void CheckClientId(string at, string clientId, HashSet<string> ids, List<string> failures)
    {
        if (string.IsNullOrWhiteSpace(clientId))
        {
            failures.Add($"{at}:ClientId is required.");
        }
        else if (!ids.Add(clientId))
        {
            failures.Add($"{at}: client '{clientId}' is configured more than once.");
        }
    }

    private static string? RedirectUriProblem(string value)
    {
        // RFC 6749 §3.1.2: absolute and without fragment. Codes sent over plain http could be read on the way,
        // so http is accepted only to this machine, as for the issuer.
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            return "must be an absolute http(s) URL";
        }

        if (value.Contains('#', StringComparison.Ordinal))
        {
            return "must not have a fragment";
        }

        return uri.Scheme == Uri.UriSchemeHttp && !uri.IsLoopback ? "uses plain http on a non-loopback host; use https or 127.0.0.1" : null;
    }
}
