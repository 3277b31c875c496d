using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace OrleansGate.Edge.Identity;

/// <summary>
/// Signing keys from each issuer's OpenID Connect discovery document and JWKS, cached per node by a
/// <see cref="ConfigurationManager{T}"/> per issuer (refreshed in the background, re-fetched on failure).
/// </summary>
public sealed partial class DiscoveryIssuerKeySource : IIssuerKeySource
{
    /// <summary>The name of the <see cref="HttpClient"/> registered by <see cref="IdentityServiceCollectionExtensions.AddTokenValidation"/>.</summary>
    public const string HttpClientName = "OrleansGate.Identity.Discovery";

    private readonly HttpClient _httpClient;
    private readonly ILogger<DiscoveryIssuerKeySource> _logger;
    private readonly ConcurrentDictionary<string, ConfigurationManager<OpenIdConnectConfiguration>> _managers = new(StringComparer.Ordinal);

    /// <param name="httpClient">Used for discovery and JWKS requests; should not follow redirects.</param>
    public DiscoveryIssuerKeySource(HttpClient httpClient, ILogger<DiscoveryIssuerKeySource> logger)
    {
        _httpClient = httpClient;
        _logger = logger;
    }

    public async ValueTask<IReadOnlyList<SecurityKey>> GetSigningKeysAsync(IssuerOptions issuer, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        var url = issuer.EffectiveDiscoveryUrl;
        var manager = _managers.GetOrAdd($"{issuer.Issuer}\n{url}\n{issuer.RequireHttps}", _ => CreateManager(url, issuer.RequireHttps));

        OpenIdConnectConfiguration configuration;
        try
        {
            configuration = await manager.GetConfigurationAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            LogFetchFailed(_logger, issuer.Issuer, url, ex);
            throw new IssuerKeysUnavailableException(issuer.Issuer, $"discovery document or JWKS of issuer {issuer.Issuer} could not be fetched from {url}", ex);
        }

        // OIDC Discovery §4.3: the document must name the issuer it was fetched for, or its keys are someone else's.
        if (!string.Equals(configuration.Issuer, issuer.Issuer, StringComparison.Ordinal))
        {
            throw new IssuerKeysUnavailableException(issuer.Issuer, $"discovery document at {url} names issuer '{configuration.Issuer}', not '{issuer.Issuer}'", null);
        }

        if (configuration.SigningKeys.Count == 0)
        {
            throw new IssuerKeysUnavailableException(issuer.Issuer, $"JWKS of issuer {issuer.Issuer} holds no signing keys", null);
        }

        return [.. configuration.SigningKeys];
    }

    private ConfigurationManager<OpenIdConnectConfiguration> CreateManager(string url, bool requireHttps) =>
        // The retriever enforces https on the jwks_uri too, not only on the discovery URL.
        new(url, new OpenIdConnectConfigurationRetriever(), new HttpDocumentRetriever(_httpClient) { RequireHttps = requireHttps });

    [LoggerMessage(EventId = 2110, Level = LogLevel.Warning, Message = "Could not fetch discovery document or JWKS of issuer {Issuer} from {DiscoveryUrl}")]
    private static partial void LogFetchFailed(ILogger logger, string issuer, string discoveryUrl, Exception exception);
}
