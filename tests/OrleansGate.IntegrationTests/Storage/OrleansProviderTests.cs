using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Orleans.Configuration;
using Orleans.Messaging;
using Orleans.Storage;
using OrleansGate.Grains.Storage;
using OrleansGate.IntegrationTests.Infrastructure;

namespace OrleansGate.IntegrationTests.Storage;

/// <summary>
/// The real Orleans ADO.NET clustering, persistence and reminder providers running on the project's own schema:
/// real silos and clients in this process, a real PostgreSQL, nothing stubbed.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class OrleansProviderTests(PostgresFixture fixture)
{
    private const int Active = 3;
    private const int Dead = 6;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Two_silos_join_one_cluster_and_each_sees_two_active_members()
    {
        var (connectionString, cluster) = await NewClusterAsync("membership");
        await using var first = await OrleansTestHost.StartSiloAsync(connectionString, cluster);
        await using var second = await OrleansTestHost.StartSiloAsync(connectionString, cluster);

        var statuses = await QueryAsync(connectionString, "SELECT status FROM orleansgate_cluster_member", r => r.GetInt32(0));
        Assert.Equal([Active, Active], statuses);
        await WaitForActiveMembersAsync(first, 2);
        await WaitForActiveMembersAsync(second, 2);

        // A client finds the silos through the gateway list query, and so reaches the cluster.
        await using (var client = await OrleansTestHost.StartClientAsync(connectionString, cluster))
        {
            var gateways = await client.Services.GetRequiredService<IGatewayListProvider>().GetGateways();
            Assert.Equal(2, gateways.Count);
            var hosts = await client.Client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);
            Assert.Equal(2, hosts.Count);
        }

        // A silo that shuts down says so in its row (UpdateMembershipKey under the version check).
        var leaving = second.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress;
        await second.StopAsync();
        var leftStatus = await QueryAsync(
            connectionString,
            $"SELECT status FROM orleansgate_cluster_member WHERE port = {leaving.Endpoint.Port} AND generation = {leaving.Generation}",
            r => r.GetInt32(0));
        Assert.Equal([Dead], leftStatus);
        await WaitForActiveMembersAsync(first, 1);
    }

    [Fact]
    public async Task State_written_through_a_client_is_read_back_after_the_silo_host_restarts()
    {
        var (connectionString, cluster) = await NewClusterAsync("state");
        await using (var silo = await OrleansTestHost.StartSiloAsync(connectionString, cluster))
        await using (var client = await OrleansTestHost.StartClientAsync(connectionString, cluster))
        {
            var probe = client.Client.GetGrain<IProbeGrain>("restart");
            Assert.Equal(1, await probe.Increment());
            Assert.Equal(2, await probe.Increment());
        }

        var stored = await QueryAsync(
            connectionString,
            "SELECT version, payload IS NOT NULL FROM orleansgate_grain_state WHERE grain_id_ext = 'restart'",
            r => (Version: r.GetInt32(0), HasPayload: r.GetBoolean(1)));
        Assert.Equal([(2, true)], stored);

        await using var restarted = await OrleansTestHost.StartSiloAsync(connectionString, cluster);
        await using var newClient = await OrleansTestHost.StartClientAsync(connectionString, cluster);
        Assert.Equal(2, await newClient.Client.GetGrain<IProbeGrain>("restart").Get());
    }

    [Fact]
    public async Task A_write_with_a_stale_etag_is_refused_and_clear_keeps_a_versioned_empty_row()
    {
        var (connectionString, cluster) = await NewClusterAsync("etag");
        await using var silo = await OrleansTestHost.StartSiloAsync(connectionString, cluster);
        var probe = silo.Client.GetGrain<IProbeGrain>("stale");
        Assert.Equal(1, await probe.Increment());

        // Another writer moves the version on behind the activation's back.
        await Postgres.ExecuteAsync(Database(connectionString), "UPDATE orleansgate_grain_state SET version = version + 1 WHERE grain_id_ext = 'stale'");

        await Assert.ThrowsAsync<InconsistentStateException>(() => probe.Increment());

        // Orleans drops the activation after the conflict; the next one reads the stored state and version.
        Assert.Equal(1, await probe.Get());
        Assert.Equal(2, await probe.Increment());
        await probe.Clear();
        Assert.Equal(0, await probe.Get());
        var stored = await QueryAsync(
            connectionString,
            "SELECT version, payload IS NULL FROM orleansgate_grain_state WHERE grain_id_ext = 'stale'",
            r => (Version: r.GetInt32(0), Cleared: r.GetBoolean(1)));
        Assert.Equal([(4, true)], stored);
    }

    [Fact]
    public async Task A_reminder_registers_is_listed_read_by_ring_range_fires_and_is_removed()
    {
        var (connectionString, cluster) = await NewClusterAsync("reminders");
        await using var silo = await OrleansTestHost.StartSiloAsync(connectionString, cluster);
        await using var client = await OrleansTestHost.StartClientAsync(connectionString, cluster);
        var key = "reminder-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        var probe = client.Client.GetGrain<IProbeGrain>(key);
        var fired = ProbeReminderSignals.Fired(key, "tick");

        await probe.RegisterReminder("tick", TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));

        Assert.Equal(["tick"], await probe.ListReminders());
        var rows = await QueryAsync(
            connectionString,
            "SELECT grain_id, reminder_name, period_ms FROM orleansgate_reminder",
            r => (GrainId: r.GetString(0), Name: r.GetString(1), PeriodMs: r.GetInt64(2)));
        Assert.Equal([(probe.GetGrainId().ToString(), "tick", 60_000L)], rows);

        // The ring slices a silo loads at start: (begin, end], with and without wrap-around.
        var table = silo.Services.GetRequiredService<IReminderTable>();
        var hash = probe.GetGrainId().GetUniformHashCode();
        Assert.Single((await table.ReadRows(unchecked(hash - 1), hash)).Reminders);
        Assert.Empty((await table.ReadRows(hash, unchecked(hash + 1))).Reminders);
        Assert.Single((await table.ReadRows(unchecked(hash + 1), hash)).Reminders);

        await fired.WaitAsync(Patience);

        // Removal is checked against the reminder's ETag: a stale one removes nothing.
        var entry = await table.ReadRow(probe.GetGrainId(), "tick");
        Assert.NotNull(entry?.ETag);
        var staleEtag = (int.Parse(entry.ETag, CultureInfo.InvariantCulture) + 1).ToString(CultureInfo.InvariantCulture);
        Assert.False(await table.RemoveRow(probe.GetGrainId(), "tick", staleEtag));
        Assert.Equal(["tick"], await probe.ListReminders());

        await probe.UnregisterReminder("tick");
        Assert.Empty(await probe.ListReminders());
        Assert.Empty(await QueryAsync(connectionString, "SELECT reminder_name FROM orleansgate_reminder", r => r.GetString(0)));
    }

    private TempPostgres Postgres => fixture.Postgres;

    /// <summary>A fresh state database owned by its own role, with the schema applied as orleansgate does at start.</summary>
    private async Task<(string ConnectionString, ClusterOptions Cluster)> NewClusterAsync(string prefix)
    {
        var suffix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
        var role = $"{prefix}_owner_{suffix}";
        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        await Postgres.CreateRoleAsync(role, password);
        var database = await fixture.CreateDatabaseAsync(prefix);
        await Postgres.ExecuteAsync("postgres", $"ALTER DATABASE {database} OWNER TO {role}");
        var connectionString = Postgres.ConnectionString(database, role, password);
        await new SchemaInstaller(connectionString, NullLogger<SchemaInstaller>.Instance).ApplyAsync(CancellationToken.None);
        return (connectionString, new ClusterOptions { ClusterId = $"{prefix}-{suffix}", ServiceId = $"gate-{suffix}" });
    }

    private static async Task WaitForActiveMembersAsync(OrleansTestHost silo, int expected)
    {
        var membership = silo.Services.GetRequiredService<IClusterMembershipService>();
        static int CountActive(ClusterMembershipSnapshot snapshot) => snapshot.Members.Values.Count(m => m.Status == SiloStatus.Active);

        using var timeout = new CancellationTokenSource(Patience);
        try
        {
            if (CountActive(membership.CurrentSnapshot) == expected)
            {
                return;
            }

            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(timeout.Token))
            {
                if (CountActive(snapshot) == expected)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
        }

        Assert.Fail($"silo never saw {expected} active members; last view: {membership.CurrentSnapshot}");
    }

    private static string Database(string connectionString) => new NpgsqlConnectionStringBuilder(connectionString).Database!;

    private static async Task<List<T>> QueryAsync<T>(string connectionString, string sql, Func<NpgsqlDataReader, T> read)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync())
        {
            rows.Add(read(reader));
        }

        return rows;
    }
}
