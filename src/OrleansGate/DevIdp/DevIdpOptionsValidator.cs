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
            if (string.IsNullOrWhiteSpace(client.ClientId))
            {
                failures.Add($"{At}:Clients:{i}:ClientId is required.");
            }
            else if (!ids.Add(client.ClientId))
            {
                failures.Add($"{At}:Clients:{i}: client '{client.ClientId}' is configured more than once.");
            }

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

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
