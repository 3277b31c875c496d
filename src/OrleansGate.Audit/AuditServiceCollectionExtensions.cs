using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansGate.Audit.Signing;

namespace OrleansGate.Audit;

public static class AuditServiceCollectionExtensions
{
    /// <summary>
    /// The audit store of a node without a silo (role <c>edge</c>): its sessions' records are written by the silos' stores
    /// (<see cref="Cluster.ClusterAuditSink"/>), and what nothing waits for any more is held by its own backlog.
    /// </summary>
    public static IServiceCollection AddClusterAuditStore(this IServiceCollection services)
    {
        services.AddSingleton<IAuditSink, Cluster.ClusterAuditSink>();
        services.AddSingleton<AuditBacklog>();
        services.AddHostedService(sp => sp.GetRequiredService<AuditBacklog>());
        return services;
    }

    /// <summary>
    /// This process's audit store from section <c>OrleansGate:Audit</c>: the signed, group-committed writer (or, for
    /// benchmarks only and only when consented to, none) and the backlog of records nothing waits for any more. Every
    /// process that writes audit has one: silos for their system chains, edges for their sessions' chains.
    /// </summary>
    public static IServiceCollection AddAuditStore(
        this IServiceCollection services, IConfigurationSection section, string stateConnectionString, Func<IServiceProvider, AuditWriterIdentity> identity)
    {
        ArgumentNullException.ThrowIfNull(section);
        services.Configure<AuditOptions>(section);
        services.AddSingleton<AuditBacklog>();
        services.AddHostedService(sp => sp.GetRequiredService<AuditBacklog>());
        var disable = section[nameof(AuditOptions.DisableForBenchmark)];
        if (!string.IsNullOrEmpty(disable))
        {
            if (disable != AuditOptions.DisableForBenchmarkConsent)
            {
                throw new InvalidOperationException(
                    $"OrleansGate:Audit:DisableForBenchmark is set but not to '{AuditOptions.DisableForBenchmarkConsent}': refusing to start without audit");
            }

            services.AddSingleton<BenchmarkNoAuditSink>();
            services.AddSingleton<IAuditSink>(sp => sp.GetRequiredService<BenchmarkNoAuditSink>());
            services.AddHostedService(sp => sp.GetRequiredService<BenchmarkNoAuditSink>());
            return services;
        }

        services.AddSingleton(identity);
        services.AddSingleton(sp => new PostgresAuditSink(
            stateConnectionString,
            sp.GetRequiredService<IOptions<AuditOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>(),
            sp.GetRequiredService<AuditWriterIdentity>(),
            sp.GetService<IAuditSchema>()));
        services.AddSingleton<IAuditSink>(sp => sp.GetRequiredService<PostgresAuditSink>());
        services.AddHostedService(sp => sp.GetRequiredService<PostgresAuditSink>());
        return services;
    }
}
