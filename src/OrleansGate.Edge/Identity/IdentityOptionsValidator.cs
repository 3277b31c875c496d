using Microsoft.Extensions.Options;

namespace OrleansGate.Edge.Identity;

/// <summary>Refuses, at startup, identity settings that would weaken validation or could never work.</summary>
internal sealed class IdentityOptionsValidator : IValidateOptions<IdentityOptions>
{
    /// <summary>Asymmetric JWS algorithms only: with a symmetric one, whoever holds the shared secret could mint tokens.</summary>
    internal static readonly IReadOnlySet<string> SupportedAlgorithms = new HashSet<string>(StringComparer.Ordinal)
    {
        "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512",
    };

    public ValidateOptionsResult Validate(string? name, IdentityOptions options)
    {
        var failures = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Issuers.Count; i++)
        {
            var issuer = options.Issuers[i];
            var at = $"OrleansGate:Identity:Issuers:{i}";
            if (string.IsNullOrWhiteSpace(issuer.Issuer))
            {
                failures.Add($"{at}:Issuer is required.");
                continue;
            }

            at += $" ({issuer.Issuer})";
            if (!seen.Add(issuer.Issuer))
            {
                failures.Add($"{at}: the issuer is configured more than once.");
            }

            if (issuer.Audiences.Count == 0 || issuer.Audiences.Exists(string.IsNullOrWhiteSpace))
            {
                failures.Add($"{at}:Audiences needs at least one non-empty audience.");
            }

            if (issuer.Algorithms.Count == 0)
            {
                failures.Add($"{at}:Algorithms needs at least one algorithm.");
            }

            foreach (var algorithm in issuer.Algorithms)
            {
                if (!SupportedAlgorithms.Contains(algorithm))
                {
                    failures.Add($"{at}:Algorithms: '{algorithm}' is not allowed; use one of {string.Join(", ", SupportedAlgorithms)} (exact case).");
                }
            }

            if (string.IsNullOrWhiteSpace(issuer.GroupsClaim))
            {
                failures.Add($"{at}:GroupsClaim must not be empty.");
            }

            if (!Enum.IsDefined(issuer.TokenReuse))
            {
                failures.Add($"{at}:TokenReuse must be one of {string.Join(", ", Enum.GetNames<Model.TokenReuse>())}.");
            }

            if (issuer.RequiredClaims.Exists(string.IsNullOrWhiteSpace))
            {
                failures.Add($"{at}:RequiredClaims must not contain an empty claim name.");
            }

            if (issuer.ClockSkew < TimeSpan.Zero || issuer.ClockSkew > IssuerOptions.MaxClockSkew)
            {
                failures.Add($"{at}:ClockSkew must be between 00:00:00 and {IssuerOptions.MaxClockSkew}.");
            }

            if (issuer.KeysMaxAge <= TimeSpan.Zero)
            {
                failures.Add($"{at}:KeysMaxAge must be positive.");
            }

            ValidateDiscoveryUrl(issuer, at, failures);
        }

        if (options.RevokedTokenRetentionProblem() is { } retention)
        {
            failures.Add(retention);
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Throws <see cref="OptionsValidationException"/> listing every problem, for callers outside the options pipeline.</summary>
    internal static void ThrowIfInvalid(IdentityOptions options)
    {
        var result = new IdentityOptionsValidator().Validate(Options.DefaultName, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(IdentityOptions), result.Failures);
        }
    }

    private static void ValidateDiscoveryUrl(IssuerOptions issuer, string at, List<string> failures)
    {
        var url = issuer.EffectiveDiscoveryUrl;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            failures.Add($"{at}:DiscoveryUrl '{url}' is not an absolute http(s) URL.");
            return;
        }

        if (issuer.RequireHttps && uri.Scheme != Uri.UriSchemeHttps)
        {
            failures.Add($"{at}:DiscoveryUrl '{url}' is not https; keys fetched over plain http could be replaced in transit.");
        }

        // Plain http is tolerated only where no network lies between the gateway and the IdP: the development IdP on this machine.
        if (!issuer.RequireHttps && !uri.IsLoopback)
        {
            failures.Add($"{at}:RequireHttps=false is allowed only for a loopback discovery URL, not '{url}'.");
        }
    }
}
