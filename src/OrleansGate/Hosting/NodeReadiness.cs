using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Npgsql;
using OrleansGate.Audit;
using OrleansGate.Edge.Decisions;
using OrleansGate.Edge.Sessions;
using OrleansGate.Grains.Policy;

namespace OrleansGate.Host.Hosting;

/// <summary>
/// Whether this node should be given clients (<c>GET /readyz</c>, for a load balancer's health check): it is a member
/// of the cluster, it holds a policy, and its audit store answers. Each missing part is named, so an operator reading
/// the 503 knows what to fix.
/// </summary>
/// <remarks>
/// The store check is a <c>SELECT 1</c> bounded by <see cref="StoreTimeout"/> and cached for <see cref="StoreCacheFor"/>:
/// a load balancer probing every node each second must not become the store's heaviest client.
/// </remarks>
public sealed class NodeReadiness(
    IServiceProvider services, GatewayRoleMarker role, IOptions<AuditOptions> audit, IHostApplicationLifetime lifetime, TimeProvider time)
{
    /// <summary>The one reason given while the node stops: nothing else about it matters to a load balancer then.</summary>
    public const string Draining = "draining";

    public static readonly TimeSpan StoreTimeout = TimeSpan.FromSeconds(2);

    public static readonly TimeSpan StoreCacheFor = TimeSpan.FromSeconds(1);

    private readonly SemaphoreSlim _checking = new(1, 1);
    private (DateTimeOffset At, string? Failure)? _store;

    /// <summary>What keeps this node from being ready, one reason per missing part; empty when it is ready.</summary>
    public async Task<IReadOnlyList<string>> MissingAsync(CancellationToken cancellationToken)
    {
        // From SIGTERM on (EdgeDrainService): the load balancer takes the node out while its sessions finish.
        if (lifetime.ApplicationStopping.IsCancellationRequested || services.GetService<EdgeDrain>() is { IsDraining: true })
        {
            return [Draining];
        }

        var missing = new List<string>();
        if (Membership() is { } notMember)
        {
            missing.Add(notMember);
        }

        if (Policy() is { } noPolicy)
        {
            missing.Add(noPolicy);
        }

        if (services.GetService<EdgeSessionServices>() is { AuditHealth.Failing: true })
        {
            missing.Add("audit: the last audit write of a session on this node failed");
        }

        if (await StoreAsync(cancellationToken) is { } store)
        {
            missing.Add(store);
        }

        return missing;
    }

    private string? Membership()
    {
        if (role.Role is GatewayRole.Edge)
        {
            return services.GetRequiredService<ClusterClientConnection>().ConnectedGateways > 0
                ? null
                : "cluster: this edge's cluster client is connected to no gateway";
        }

        var local = services.GetRequiredService<ILocalSiloDetails>().SiloAddress;
        var status = services.GetRequiredService<IClusterMembershipService>().CurrentSnapshot.GetSiloStatus(local);
        return status == SiloStatus.Active ? null : $"cluster: this silo is {status}, not active";
    }

    private string? Policy()
    {
        if (services.GetService<EdgePolicy>() is { } edge)
        {
            return edge.TryGet() is null ? $"policy: {edge.UnavailableReason}" : null;
        }

        var cache = services.GetRequiredService<PolicyCache>();
        return cache.Version == 0 ? $"policy: {cache.UnavailableReason}" : null;
    }

    private async Task<string?> StoreAsync(CancellationToken cancellationToken)
    {
        if (_store is { } cached && time.GetUtcNow() - cached.At < StoreCacheFor)
        {
            return cached.Failure;
        }

        // One probe at a time: concurrent health checks wait for it and share its answer.
        await _checking.WaitAsync(cancellationToken);
        try
        {
            if (_store is { } fresh && time.GetUtcNow() - fresh.At < StoreCacheFor)
            {
                return fresh.Failure;
            }

            var failure = await ProbeAsync(services.GetRequiredService<StateConnectionString>().Value, "state database", DeclaredDead(), cancellationToken)
                ?? await ProbeAsync(audit.Value.ConnectionString, "audit store", null, cancellationToken);
            _store = (time.GetUtcNow(), failure);
            return failure;
        }
        finally
        {
            _checking.Release();
        }
    }

    /// <summary>
    /// A silo's own row in the membership table, read with the state database's probe: the other silos may have declared
    /// it dead while it was stopped or cut off, and it learns so only at its next read of the table (up to 20 s after a
    /// SIGCONT, measured). Meanwhile every client a load balancer gave it would be refused; so it is not ready.
    /// </summary>
    private Func<NpgsqlConnection, CancellationToken, Task<string?>>? DeclaredDead()
    {
        if (role.Role is GatewayRole.Edge)
        {
            return null;
        }

        var local = services.GetRequiredService<ILocalSiloDetails>().SiloAddress;
        var clusterId = services.GetRequiredService<IOptions<ClusterOptions>>().Value.ClusterId;
        return async (connection, ct) => await MembershipStatusAsync(connection, clusterId, local, ct) == SiloStatus.Dead
            ? "cluster: the membership table has this silo Dead (the other silos declared it dead; it stops once it reads so)"
            : null;
    }

    /// <summary>The status the membership table holds for <paramref name="silo"/> (null: no row).</summary>
    public static async Task<SiloStatus?> MembershipStatusAsync(NpgsqlConnection connection, string clusterId, SiloAddress silo, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(silo);
        await using var command = new NpgsqlCommand(
            "SELECT status FROM orleansgate_cluster_member WHERE cluster_id = $1 AND address = $2 AND port = $3 AND generation = $4", connection)
        {
            Parameters =
            {
                new() { Value = clusterId },
                new() { Value = silo.Endpoint.Address.ToString() },
                new() { Value = silo.Endpoint.Port },
                new() { Value = silo.Generation },
            },
        };
        return await command.ExecuteScalarAsync(ct) is int status ? (SiloStatus)status : null;
    }

    private static async Task<string?> ProbeAsync(
        string? connectionString, string name, Func<NpgsqlConnection, CancellationToken, Task<string?>>? check, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return null;
        }

        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(StoreTimeout);
        try
        {
            // Pooled: a probe a second reuses one idle connection instead of a new login each time.
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(bounded.Token);
            if (check is not null)
            {
                return await check(connection, bounded.Token);
            }

            await using var command = new NpgsqlCommand("SELECT 1", connection);
            await command.ExecuteScalarAsync(bounded.Token);
            return null;
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException)
        {
            return cancellationToken.IsCancellationRequested ? $"{name}: check cancelled" : $"audit: the {name} did not answer SELECT 1 within {StoreTimeout.TotalSeconds:0} s ({e.GetType().Name}: {e.Message})";
        }
    }
}
