using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace OrleansGate.Grains.Policy;

public static class PolicyServiceCollectionExtensions
{
    /// <summary>
    /// A silo's policy services: the cached policy, the decider the session grains call, and the start-up
    /// load (and optional watch) of <c>OrleansGate:Policy:File</c>. Register after <c>UseOrleans</c> so the
    /// hosted services start once the silo is up.
    /// </summary>
    public static IServiceCollection AddGatewayPolicy(this IServiceCollection services, IConfiguration section)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.Configure<PolicyOptions>(section);
        services.AddSingleton<PolicyCache>();
        services.AddHostedService<PolicyFileSource>();
        services.AddHostedService(sp => sp.GetRequiredService<PolicyCache>());
        return services;
    }
}
