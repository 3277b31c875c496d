using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Logging;
using OrleansGate.Edge.Classification;
using OrleansGate.Edge.Decisions;
using OrleansGate.Edge.Http;
using OrleansGate.Edge.Identity;
using OrleansGate.Edge.Masking;
using OrleansGate.Edge.Postgres;
using OrleansGate.Edge.Sessions;
using OrleansGate.Edge.Ssh;
using OrleansGate.Edge.Targets;
using OrleansGate.Edge.Telemetry;
using OrleansGate.Policy.Classification;

namespace OrleansGate.Edge;

public static class EdgeServiceCollectionExtensions
{
    /// <summary>Registers the PostgreSQL edge: token validation, targets, the connection handler and its services.</summary>
    public static IServiceCollection AddPostgresEdge(this IServiceCollection services, IConfiguration gateway)
    {
        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.AddTokenValidation(gateway.GetSection("Identity"));
        services.AddOptions<PostgresListenerOptions>().Bind(gateway.GetSection("Postgres")).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PostgresListenerOptions>, PostgresListenerOptionsValidator>());
        services.Configure<Dictionary<string, TargetOptions>>(gateway.GetSection("Targets"));
        services.AddSingleton(EdgeNode.FromEnvironment(gateway["NodeName"]));
        services.AddSingleton<EdgeTelemetry>();
        services.AddSingleton<TargetCatalog>();
        services.AddSingleton<UpstreamConnector>();
        services.AddSingleton<MaskCatalogCache>();
        services.AddSingleton<CancelKeyRegistry>();
        services.AddSingleton<CancelRouter>();
        services.AddSingleton(new SqlClassifier(gateway.GetSection("Classification").Get<SqlClassifierOptions>() ?? new SqlClassifierOptions()));
        services.AddSingleton<StatementSummaries>();

        // The edge decides every statement with its own copy of the cluster policy (EdgePolicy); a copy it cannot confirm
        // for OrleansGate:Policy:MaxStaleness is not trusted.
        var maxStaleness = gateway.GetSection("Policy").GetValue<TimeSpan?>("MaxStaleness") ?? TimeSpan.FromSeconds(60);
        services.AddSingleton(sp => new EdgePolicy(sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<EdgePolicy>>()) { MaxStaleness = maxStaleness });
        services.AddSingleton<EdgeDecider>();
        services.AddSingleton<EdgeSessionRegistry>();
        services.AddSingleton<EdgeDrain>();
        services.Configure<ApprovalLinks>(gateway.GetSection("Approvals"));
        services.AddSingleton<EdgeSessionServices>();
        services.AddSingleton<PostgresEdgeServices>();

        // The agent HTTP listener's services (Kubernetes API and HTTP targets); the listener itself is the host's.
        services.Configure<AgentHttpOptions>(gateway.GetSection("AgentHttp"));
        services.AddHttpForwarder();
        services.AddSingleton<AgentTokenCache>();
        services.AddSingleton<AgentHttpSessions>();
        services.AddSingleton<AgentHttpUpstreams>();
        services.AddSingleton<AgentHttpHandler>();

        // SSH targets: POST /api/exec on the same listener.
        services.Configure<SshExecOptions>(gateway.GetSection("Ssh"));
        services.AddSingleton<SshCommandRunner>();
        services.AddSingleton<SshExecHandler>();
        return services;
    }
}
