using OrleansGate.Host.Hosting;

namespace OrleansGate.Host.Commands;

/// <summary>A short-lived Orleans client for admin commands, configured from the same file as the nodes.</summary>
public static class ClusterClientHost
{
    public static async Task<IHost> StartAsync(IConfiguration configuration, CancellationToken ct)
    {
        var gateway = configuration.GetSection(GatewayHost.Section);
        var connectionString = gateway["StateDatabase"];
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new CommandLineException("OrleansGate:StateDatabase is not set: pass the node's configuration with --config");
        }

        var cluster = gateway.GetSection("Cluster").Get<GatewayClusterOptions>() ?? new GatewayClusterOptions();
        System.Data.Common.DbProviderFactories.RegisterFactory("Npgsql", Npgsql.NpgsqlFactory.Instance);
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleansClient(client => GatewayHost.ConfigureClient(client, cluster, connectionString));
        var host = builder.Build();
        try
        {
            await host.StartAsync(ct);
            return host;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            host.Dispose();
            throw new InvalidOperationException($"cannot reach the cluster '{cluster.ClusterId}': {e.Message}", e);
        }
    }
}
