using System.Net;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;
using OrleansGate.Host.Hosting;

namespace OrleansGate.Host.Cluster;

/// <summary>
/// Writes where this silo answers a liveness probe (its HTTP listener's <c>/healthz</c>) into its own row of the
/// membership table once it is up, for the edges' <see cref="GatewayHealthProbe"/>. Written once per incarnation (a
/// restarted silo has a new row); a write that fails is tried again for a while, then given up with a warning: the
/// edges then treat this gateway as Orleans alone would, which is how it was before the probe existed.
/// </summary>
public sealed partial class SiloHealthUrlPublisher(
    ILocalSiloDetails silo,
    IOptions<ClusterOptions> cluster,
    StateConnectionString state,
    HttpListenerOptions http,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<SiloHealthUrlPublisher> logger) : BackgroundService
{
    /// <summary>Waits before each further try: about a minute in all.</summary>
    private static readonly TimeSpan[] Retries = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(30)];

    /// <summary>The URL an edge probes: the listener's address, or the silo's own when the listener takes any address.</summary>
    public static Uri HealthUrl(HttpListenerOptions http, IPAddress siloAddress)
    {
        ArgumentNullException.ThrowIfNull(http);
        var address = IPAddress.Parse(http.Address);
        if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
        {
            address = siloAddress;
        }

        return new Uri($"http://{new IPEndPoint(address, http.Port)}/healthz");
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // After the start: the silo has joined (its row exists) and the HTTP listener answers.
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        {
            await started.Task.WaitAsync(stoppingToken);
        }

        var address = silo.SiloAddress;
        var url = HealthUrl(http, address.Endpoint.Address);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await using var connection = new NpgsqlConnection(state.Value);
                await connection.OpenAsync(stoppingToken);
                await using var command = new NpgsqlCommand(
                    "UPDATE orleansgate_cluster_member SET health_url = $5 WHERE cluster_id = $1 AND address = $2 AND port = $3 AND generation = $4",
                    connection)
                {
                    Parameters =
                    {
                        new() { Value = cluster.Value.ClusterId },
                        new() { Value = address.Endpoint.Address.ToString() },
                        new() { Value = address.Endpoint.Port },
                        new() { Value = address.Generation },
                        new() { Value = url.ToString() },
                    },
                };
                if (await command.ExecuteNonQueryAsync(stoppingToken) == 1)
                {
                    LogPublished(url);
                    return;
                }

                LogNoRow(address.ToString());
                return;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException && attempt < Retries.Length)
            {
                LogRetry(e.Message);
                await Task.Delay(Retries[attempt], time, stoppingToken);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                LogGaveUp(e.Message);
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Edges probe this silo's gateway at {Url}")]
    private partial void LogPublished(Uri url);

    [LoggerMessage(Level = LogLevel.Warning, Message = "This silo ({Silo}) has no row in the membership table to hold its health URL; edges will not probe its gateway")]
    private partial void LogNoRow(string silo);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Writing this silo's health URL failed, trying again: {Reason}")]
    private partial void LogRetry(string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing this silo's health URL failed; edges will not probe its gateway: {Reason}")]
    private partial void LogGaveUp(string reason);
}
