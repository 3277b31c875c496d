using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using OrleansGate.Audit;
using OrleansGate.Audit.Signing;

namespace OrleansGate.Grains.Audit;

public static class AuditServiceCollectionExtensions
{
    /// <summary>
    /// The silo's audit: the store (<see cref="OrleansGate.Audit.AuditServiceCollectionExtensions.AddAuditStore"/>) with its
    /// writers named after <paramref name="node"/> and its silo address, the schema of a separate audit store installed at
    /// its first use, and the sealer of dead writers of <paramref name="cluster"/>.
    /// </summary>
    public static IServiceCollection AddAudit(this IServiceCollection services, IConfigurationSection section, string stateConnectionString, string node, string cluster)
    {
        ArgumentNullException.ThrowIfNull(section);
        services.AddSingleton<StatementRefusalLog>();
        var separateStore = section[nameof(AuditOptions.ConnectionString)];
        services.AddSingleton<IAuditSchema>(sp => new SchemaGate(string.IsNullOrWhiteSpace(separateStore) ? null : separateStore, sp.GetRequiredService<ILoggerFactory>()));

        // The silo address (with its generation) is what membership declares dead; it is read when a writer starts.
        services.AddAuditStore(section, stateConnectionString, sp => new AuditWriterIdentity(node, cluster, () => sp.GetService<ILocalSiloDetails>()?.SiloAddress.ToParsableString()));
        if (string.IsNullOrEmpty(section[nameof(AuditOptions.DisableForBenchmark)]))
        {
            services.AddHostedService<AuditSealer>();
        }

        return services;
    }
}
