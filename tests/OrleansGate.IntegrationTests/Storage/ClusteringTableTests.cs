using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;
using Orleans.Runtime.Membership;
using Orleans.Runtime.MembershipService;
using OrleansGate.Grains.Storage;
using OrleansGate.IntegrationTests.Infrastructure;

namespace OrleansGate.IntegrationTests.Storage;

/// <summary>
/// The Orleans ADO.NET membership table driven directly (no silo), so every write path and its optimistic
/// concurrency can be checked step by step: stale versions, duplicates, unknown silos, heartbeats, cleanup.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ClusteringTableTests(PostgresFixture fixture)
{
    [Fact]
    public async Task Writes_with_a_stale_version_or_for_a_duplicate_or_unknown_silo_are_refused_and_change_nothing()
    {
        var (table, _) = await NewTableAsync(keepOptionalCleanupQuery: true);
        var empty = await table.ReadAllAsync();
        Assert.Empty(empty.Members);
        var v0 = empty.Version;

        var silo = Entry(11111, SiloStatus.Joining);
        Assert.True(await table.InsertRowAsync(silo, v0.Next()));
        Assert.False(await table.InsertRowAsync(Entry(22222, SiloStatus.Joining), v0.Next()));

        var v1 = (await table.ReadAllAsync()).Version;
        Assert.Equal(v0.Version + 1, v1.Version);
        Assert.False(await table.InsertRowAsync(silo, v1.Next()));
        Assert.Equal(v1.Version, (await table.ReadAllAsync()).Version.Version);

        silo.Status = SiloStatus.Active;
        silo.SuspectTimes = [Tuple.Create(SiloAddress.New(IPAddress.Loopback, 33333, 7), new DateTime(2026, 1, 2, 3, 4, 5, 678, DateTimeKind.Utc))];
        Assert.True(await table.UpdateRowAsync(silo, v1.VersionEtag, v1.Next()));
        Assert.False(await table.UpdateRowAsync(silo, v1.VersionEtag, v1.Next()));

        var v2 = (await table.ReadAllAsync()).Version;
        Assert.False(await table.UpdateRowAsync(Entry(44444, SiloStatus.Active), v2.VersionEtag, v2.Next()));
        Assert.Equal(v2.Version, (await table.ReadAllAsync()).Version.Version);

        var row = Assert.Single((await table.ReadRowAsync(silo.SiloAddress)).Members).Item1;
        Assert.Equal(SiloStatus.Active, row.Status);
        Assert.Equal(silo.SiloAddress, row.SiloAddress);
        Assert.Equal(silo.ProxyPort, row.ProxyPort);
        Assert.Equal(silo.SiloName, row.SiloName);
        Assert.NotNull(row.SuspectTimes);
        var vote = Assert.Single(row.SuspectTimes);
        Assert.Equal(silo.SuspectTimes[0], vote);

        Assert.Empty((await table.ReadRowAsync(SiloAddress.New(IPAddress.Loopback, 55555, 1))).Members);
    }

    [Fact]
    public async Task Heartbeats_move_only_the_alive_time_and_clients_see_only_active_gateways()
    {
        var (table, connectionString) = await NewTableAsync(keepOptionalCleanupQuery: true);
        var version = (await table.ReadAllAsync()).Version;
        var active = Entry(11111, SiloStatus.Active);
        Assert.True(await table.InsertRowAsync(active, version.Next()));
        version = (await table.ReadAllAsync()).Version;
        Assert.True(await table.InsertRowAsync(Entry(22222, SiloStatus.Joining), version.Next()));
        version = (await table.ReadAllAsync()).Version;

        var beat = Truncate(DateTime.UtcNow.AddSeconds(30));
        active.IAmAliveTime = beat;
        await table.UpdateIAmAliveAsync(active);

        var after = await table.ReadAllAsync();
        Assert.Equal(version.Version, after.Version.Version);
        Assert.Equal(beat, after.Members.Single(m => m.Item1.SiloAddress.Equals(active.SiloAddress)).Item1.IAmAliveTime);

        var gateways = new AdoNetGatewayListProvider(
            NullLogger<AdoNetGatewayListProvider>.Instance,
            new ServiceCollection().BuildServiceProvider(),
            Options.Create(new AdoNetClusteringClientOptions { Invariant = "Npgsql", ConnectionString = connectionString }),
            Options.Create(new GatewayOptions()),
            Options.Create(new ClusterOptions { ClusterId = ClusterId(connectionString) }));
        await gateways.InitializeGatewayListProviderAsync();
        var uri = Assert.Single(await gateways.GetGatewaysAsync());
        Assert.Equal(active.ProxyPort, uri.Port);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Cleanup_removes_only_dead_silos_older_than_the_cutoff(bool keepOptionalCleanupQuery)
    {
        var (table, _) = await NewTableAsync(keepOptionalCleanupQuery);
        var dead = Entry(11111, SiloStatus.Dead);
        var alive = Entry(22222, SiloStatus.Active);
        var recentlyDead = Entry(33333, SiloStatus.Dead);
        recentlyDead.IAmAliveTime = Truncate(DateTime.UtcNow.AddHours(2));
        foreach (var entry in new[] { dead, alive, recentlyDead })
        {
            Assert.True(await table.InsertRowAsync(entry, (await table.ReadAllAsync()).Version.Next()));
        }

        await table.CleanupDefunctSiloEntriesAsync(DateTimeOffset.UtcNow.AddHours(1));

        var left = (await table.ReadAllAsync()).Members.Select(m => m.Item1.SiloAddress.Endpoint.Port).Order();
        Assert.Equal([22222, 33333], left);
    }

    [Fact]
    public async Task Deleting_the_cluster_removes_its_members_and_version()
    {
        var (table, connectionString) = await NewTableAsync(keepOptionalCleanupQuery: true);
        Assert.True(await table.InsertRowAsync(Entry(11111, SiloStatus.Active), (await table.ReadAllAsync()).Version.Next()));

        await table.DeleteMembershipTableEntriesAsync(ClusterId(connectionString));

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT (SELECT count(*) FROM orleansgate_cluster) + (SELECT count(*) FROM orleansgate_cluster_member)", connection);
        Assert.Equal(0L, await command.ExecuteScalarAsync());
    }

    /// <summary>A membership table for a fresh cluster in a fresh database; the cluster id is the database name.</summary>
    private async Task<(AdoNetClusteringTable Table, string ConnectionString)> NewTableAsync(bool keepOptionalCleanupQuery)
    {
        var database = await fixture.CreateDatabaseAsync("clustering");
        var connectionString = fixture.Postgres.ConnectionString(database);
        await new SchemaInstaller(connectionString, NullLogger<SchemaInstaller>.Instance).ApplyAsync(CancellationToken.None);
        if (!keepOptionalCleanupQuery)
        {
            await fixture.Postgres.ExecuteAsync(database, "DELETE FROM orleansquery WHERE querykey = 'CleanupDefunctSiloEntryKey'");
        }

        var table = new AdoNetClusteringTable(
            new ServiceCollection().BuildServiceProvider(),
            Options.Create(new ClusterOptions { ClusterId = database }),
            Options.Create(new AdoNetClusteringSiloOptions { Invariant = "Npgsql", ConnectionString = connectionString }),
            NullLogger<AdoNetClusteringTable>.Instance);
        await table.InitializeMembershipTableAsync(tryInitTableVersion: true);
        return (table, connectionString);
    }

    private static string ClusterId(string connectionString) => new NpgsqlConnectionStringBuilder(connectionString).Database!;

    private static MembershipEntry Entry(int port, SiloStatus status)
    {
        var started = Truncate(DateTime.UtcNow.AddMinutes(-5));
        return new MembershipEntry
        {
            SiloAddress = SiloAddress.New(IPAddress.Loopback, port, RandomNumberGenerator.GetInt32(1, int.MaxValue)),
            SiloName = $"silo-{port}",
            HostName = "localhost",
            Status = status,
            ProxyPort = port + 1,
            StartTime = started,
            IAmAliveTime = started,
        };
    }

    /// <summary>PostgreSQL keeps microseconds; .NET ticks are finer.</summary>
    private static DateTime Truncate(DateTime value) => new(value.Ticks - (value.Ticks % 10), DateTimeKind.Utc);
}
