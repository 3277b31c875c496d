using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OrleansGate.Edge.Identity;

public static class IdentityServiceCollectionExtensions
{
    /// <summary>
    /// Binds <see cref="IdentityOptions"/> from <paramref name="identitySection"/> (validated at startup) and registers
    /// <see cref="ITokenValidator"/>, a discovery-based <see cref="IIssuerKeySource"/> and <see cref="TimeProvider.System"/> if none is registered.
    /// </summary>
    public static IServiceCollection AddTokenValidation(this IServiceCollection services, IConfiguration identitySection)
    {
        ArgumentNullException.ThrowIfNull(identitySection);
        services.AddOptions<IdentityOptions>()
            .Configure(options => Bind(identitySection, options))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<IdentityOptions>, IdentityOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);

        services.AddHttpClient(DiscoveryIssuerKeySource.HttpClientName)
            .ConfigureHttpClient(client =>
            {
                client.Timeout = TimeSpan.FromSeconds(10);
                client.MaxResponseContentBufferSize = 1024 * 1024;
            })
            // The client lives as long as the key source, so DNS changes are picked up by recycling pooled connections.
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            });
        services.TryAddSingleton<IIssuerKeySource>(sp => new DiscoveryIssuerKeySource(
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(DiscoveryIssuerKeySource.HttpClientName),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<DiscoveryIssuerKeySource>>()));
        services.TryAddSingleton<ITokenValidator, JwtTokenValidator>();
        return services;
    }

    /// <summary>Binds issuers from <paramref name="section"/> (its <c>Issuers</c> list), a configured algorithm list replacing the default.</summary>
    public static void Bind(IConfiguration section, IdentityOptions options)
    {
        foreach (var child in section.GetSection(nameof(IdentityOptions.Issuers)).GetChildren())
        {
            var issuer = new IssuerOptions();
            child.Bind(issuer);

            // The binder appends configured items to a list that already holds defaults, which would widen the
            // algorithm allow-list instead of replacing it; a configured list must replace the default.
            var algorithms = child.GetSection(nameof(IssuerOptions.Algorithms));
            if (algorithms.Exists())
            {
                issuer.Algorithms = algorithms.Get<List<string>>() ?? [];
            }

            options.Issuers.Add(issuer);
        }
    }
}
