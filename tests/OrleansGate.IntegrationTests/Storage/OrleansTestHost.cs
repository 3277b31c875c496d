using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using OrleansGate.Grains;

namespace OrleansGate.IntegrationTests.Storage;

/// <summary>
/// A real Orleans silo or client host on the ADO.NET providers and the project's schema, stopped on dispose.
/// Membership timings are shortened so joins, refreshes and shutdowns take seconds.
/// </summary>
public sealed class OrleansTestHost : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);

    private readonly IHost _host;
    private bool _stopped;

    private OrleansTestHost(IHost host) => _host = host;

    public IServiceProvider Services => _host.Services;

    public IClusterClient Client => _host.Services.GetRequiredService<IClusterClient>();

    public static Task<OrleansTestHost> StartSiloAsync(string connectionString, ClusterOptions cluster)
    {
        var siloPort = Infrastructure.FreePort.Next();
        var gatewayPort = Infrastructure.FreePort.Next();
        var builder = Microsoft.Extensions.Hosting.Host.CreateDefaultBuilder()
            .ConfigureLogging(logging => logging.ClearProviders().AddSimpleConsole().SetMinimumLevel(LogLevel.Warning))
            .ConfigureServices(services => services.Configure<HostOptions>(o => o.ShutdownTimeout = StopTimeout))
            .UseOrleans(silo => silo
                .Configure<ClusterOptions>(o =>
                {
                    o.ClusterId = cluster.ClusterId;
                    o.ServiceId = cluster.ServiceId;
                })
                .ConfigureEndpoints(IPAddress.Loopback, siloPort, gatewayPort)
                .UseAdoNetClustering(o =>
                {
                    o.Invariant = "Npgsql";
                    o.ConnectionString = connectionString;
                })
                .AddAdoNetGrainStorage(GrainStorage.Name, o =>
                {
                    o.Invariant = "Npgsql";
                    o.ConnectionString = connectionString;
                })
                .UseAdoNetReminderService(o =>
                {
                    o.Invariant = "Npgsql";
                    o.ConnectionString = connectionString;
                })
                .Configure<ClusterMembershipOptions>(o =>
                {
                    o.TableRefreshTimeout = TimeSpan.FromSeconds(2);
                    o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(5);
                }));
        return StartAsync(builder);
    }

    public static Task<OrleansTestHost> StartClientAsync(string connectionString, ClusterOptions cluster)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateDefaultBuilder()
            .ConfigureLogging(logging => logging.ClearProviders().AddSimpleConsole().SetMinimumLevel(LogLevel.Warning))
            .ConfigureServices(services => services.Configure<HostOptions>(o => o.ShutdownTimeout = StopTimeout))
            .UseOrleansClient(client => client
                .Configure<ClusterOptions>(o =>
                {
                    o.ClusterId = cluster.ClusterId;
                    o.ServiceId = cluster.ServiceId;
                })
                .UseAdoNetClustering(o =>
                {
                    o.Invariant = "Npgsql";
                    o.ConnectionString = connectionString;
                }));
        return StartAsync(builder);
    }

    public async Task StopAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        using var timeout = new CancellationTokenSource(StopTimeout);
        await _host.StopAsync(timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        finally
        {
            _host.Dispose();
        }
    }

    private static async Task<OrleansTestHost> StartAsync(IHostBuilder builder)
    {
        var host = builder.Build();
        try
        {
            using var timeout = new CancellationTokenSource(StartTimeout);
            await host.StartAsync(timeout.Token);
            return new OrleansTestHost(host);
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }
}
