using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace OrleansGate.Grains.Audit;

public static class AuditServiceCollectionExtensions
{
    /// <summary>The silo's audit writer from section <c>OrleansGate:Audit</c> (or, for benchmarks only and only when consented to, none).</summary>
    public static IServiceCollection AddAudit(this IServiceCollection services, IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(section);
        services.Configure<AuditOptions>(section);
        services.AddSingleton<StatementRefusalLog>();
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

        services.AddSingleton<PostgresAuditSink>();
        services.AddSingleton<IAuditSink>(sp => sp.GetRequiredService<PostgresAuditSink>());
        services.AddHostedService(sp => sp.GetRequiredService<PostgresAuditSink>());
        return services;
    }
}
