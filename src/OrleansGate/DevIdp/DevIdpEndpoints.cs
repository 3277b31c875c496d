using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace OrleansGate.Host.DevIdp;

/// <summary>
/// Registers and serves the development identity provider: an Okta-shaped authorization server issuing
/// client-credentials access tokens to service apps and, through a login page (authorization code with PKCE), tokens
/// to configured people, so <c>orleansgate up</c> and tests run the same token path as production.
/// </summary>
public static class DevIdpEndpoints
{
    /// <summary>Binds <see cref="DevIdpOptions"/> (validated at startup when enabled) and registers the IdP's services.</summary>
    public static IServiceCollection AddDevIdp(this IServiceCollection services, IConfiguration devIdpSection)
    {
        ArgumentNullException.ThrowIfNull(devIdpSection);
        services.AddOptions<DevIdpOptions>().Bind(devIdpSection).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DevIdpOptions>, DevIdpOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<DevIdpSigningKey>();
        services.TryAddSingleton<DevIdpTokenFactory>();
        services.TryAddSingleton<DevIdpTokenEndpoint>();
        services.TryAddSingleton<DevIdpAuthorizationCodes>();
        services.TryAddSingleton<DevIdpAuthorizationCodeGrant>();
        services.TryAddSingleton<DevIdpAuthorizeEndpoint>();
        return services;
    }

    /// <summary>
    /// Maps <c>/.well-known/openid-configuration</c>, <c>/v1/keys</c>, <c>/v1/token</c> and <c>/v1/authorize</c> (the
    /// login page) under the issuer's path; does nothing unless the IdP is enabled. The path is fixed here: changing the
    /// issuer's path needs a restart, while clients, users, lifetime and the issuer's host and port are re-read from
    /// configuration on every request.
    /// </summary>
    public static IEndpointRouteBuilder MapDevIdp(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.ServiceProvider.GetRequiredService<IOptionsMonitor<DevIdpOptions>>().CurrentValue;
        if (!options.Enabled)
        {
            return app;
        }

        // Load or create the key now, so an unusable KeyDirectory stops startup instead of failing the first request.
        app.ServiceProvider.GetRequiredService<DevIdpSigningKey>().EnsureLoaded();

        var prefix = new Uri(options.Issuer).AbsolutePath.TrimEnd('/');
        var routes = prefix.Length == 0 ? app : app.MapGroup(prefix);
        routes.MapGet("/.well-known/openid-configuration", DevIdpDocuments.Discovery).AllowAnonymous();
        routes.MapGet("/v1/keys", DevIdpDocuments.Keys).AllowAnonymous();
        routes.MapPost("/v1/token", (HttpContext context, DevIdpTokenEndpoint endpoint) => endpoint.HandleAsync(context)).AllowAnonymous();
        routes.MapGet("/v1/authorize", (HttpContext context, DevIdpAuthorizeEndpoint endpoint) => endpoint.ShowForm(context)).AllowAnonymous();
        routes.MapPost("/v1/authorize", (HttpContext context, DevIdpAuthorizeEndpoint endpoint) => endpoint.SignInAsync(context)).AllowAnonymous();
        return app;
    }
}
