using System.Net;
using Npgsql;

namespace OrleansGate.Host.Cluster;

/// <summary>Reads the active gateways' health URLs from the membership table, for <see cref="GatewayHealthProbe"/>.</summary>
public static class GatewayHealthTargets
{
    /// <summary>A read that takes longer is given up: the probe round waits for it, and the table may be restarting.</summary>
    public static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(2);

    public static async Task<IReadOnlyDictionary<IPEndPoint, Uri>> LoadAsync(string connectionString, string clusterId, CancellationToken cancellationToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(ReadTimeout);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(bounded.Token);
        await using var command = new NpgsqlCommand(
            "SELECT address, proxy_port, health_url FROM orleansgate_cluster_member " +
            "WHERE cluster_id = $1 AND status = 3 AND proxy_port > 0 AND health_url IS NOT NULL", connection)
        {
            Parameters = { new() { Value = clusterId } },
        };
        var targets = new Dictionary<IPEndPoint, Uri>();
        await using var reader = await command.ExecuteReaderAsync(bounded.Token);
        while (await reader.ReadAsync(bounded.Token))
        {
            // A row no silo of this build wrote (edited by hand) is not probed rather than failing the others.
            if (IPAddress.TryParse(reader.GetString(0), out var address) &&
                Uri.TryCreate(reader.GetString(2), UriKind.Absolute, out var url) && url.Scheme is "http" or "https")
            {
                targets[new IPEndPoint(address, reader.GetInt32(1))] = url;
            }
        }

        return targets;
    }
}
