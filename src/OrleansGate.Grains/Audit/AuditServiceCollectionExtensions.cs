using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Runtime;
using OrleansGate.Grains.Audit.Signing;

namespace OrleansGate.Grains.Audit;

public static class AuditServiceCollectionExtensions
{
    /// <summary>
    /// The silo's audit writer from section <c>OrleansGate:Audit</c> (or, for benchmarks only and only when consented to,
    /// none), its writers named after <paramref name="node"/>, and the sealer of dead writers of <paramref name="cluster"/>.
    /// </summary>
    public static IServiceCollection AddAudit(this IServiceCollection services, IConfigurationSection section, string node, string cluster)
    {
        ArgumentNullException.ThrowIfNull(section);
        services.Configure<AuditOptions>(section);
        services.AddSingleton<StatementRefusalLog>();
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

        // The silo address (with its generation) is what membership declares dead; it is read when a writer starts.
        services.AddSingleton(sp => new AuditWriterIdentity(node, cluster, () => sp.GetService<ILocalSiloDetails>()?.SiloAddress.ToParsableString()));
        services.AddSingleton<PostgresAuditSink>();
        services.AddSingleton<IAuditSink>(sp => sp.GetRequiredService<PostgresAuditSink>());
        services.AddHostedService(sp => sp.GetRequiredService<PostgresAuditSink>());
        services.AddHostedService<AuditSealer>();
        return services;
    }
}
