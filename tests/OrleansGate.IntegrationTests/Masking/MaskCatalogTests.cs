using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using OrleansGate.Edge.Masking;
using OrleansGate.Edge.Postgres;
using OrleansGate.Edge.Targets;
using OrleansGate.Edge.Telemetry;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.IntegrationTests.Infrastructure;
using OrleansGate.Policy.Model;

namespace OrleansGate.IntegrationTests.Masking;

/// <summary>The mask catalog read from a real PostgreSQL, checked against the OIDs and attnums its RowDescriptions carry.</summary>
[Collection(PostgresCollection.Name)]
public sealed class MaskCatalogTests(PostgresFixture fixture) : IDisposable
{
    private const uint TextOid = 25;

    private const string Schema = """
        create table customers(id int primary key, name text, email text, card text);
        create view v_email as select id, email from customers;
        create view v_email_2 as select email as address from v_email;
        create view v_names as select id, name from customers;
        create table payments(id int, card text, paid date) partition by range (paid);
        create table payments_2025 partition of payments for values from ('2025-01-01') to ('2026-01-01');
        """;

    private static readonly PolicyMask Pii = new()
    {
        Name = "pii",
        Match = new PolicyRule { Name = "pii", Effect = PolicyEffect.Allow, Reason = "test" },
        Columns = ["public.customers.email", "public.payments.card"],
    };

    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    private TempPostgres Postgres => fixture.Postgres;

    [Fact]
    public async Task Catalog_from_the_server_masks_by_the_oids_and_attnums_of_row_descriptions_and_reloads_after_invalidate()
    {
        var (target, connectionString) = await NewTargetAsync();
        using var dials = new NodeUpstreamDialCounter(_services.GetRequiredService<IMeterFactory>());
        var cache = NewCache();

        // Concurrent sessions share one load.
        var loads = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => cache.GetAsync(target, [Pii], 1, CancellationToken.None).AsTask()));
        var catalog = loads[0];
        Assert.All(loads, c => Assert.Same(catalog, c));
        Assert.Equal(1, dials.Count);

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var customers = await OriginsAsync(connection, "select * from customers");
        Assert.Equal(await OidOfAsync(connection, "customers"), customers["email"].Table);
        Assert.True(catalog.TryGetColumn(customers["email"].Table, customers["email"].AttNum, out var email));
        Assert.Equal(new MaskedColumn(Pii, "public.customers.email", TextOid), email);
        Assert.False(catalog.TryGetColumn(customers["name"].Table, customers["name"].AttNum, out _));
        Assert.False(catalog.TryGetColumn(customers["card"].Table, customers["card"].AttNum, out _));

        // Views read as themselves in a RowDescription: a view over email, and a view over that view, are masked whole.
        var viewOfView = await OriginsAsync(connection, "select * from v_email_2");
        Assert.Equal(await OidOfAsync(connection, "v_email_2"), viewOfView["address"].Table);
        Assert.True(catalog.TryGetColumn(viewOfView["address"].Table, viewOfView["address"].AttNum, out var address));
        Assert.Equal("public.v_email_2.address", address.Label);
        var view = await OriginsAsync(connection, "select * from v_email");
        Assert.True(catalog.TryGetColumn(view["id"].Table, view["id"].AttNum, out _));
        var names = await OriginsAsync(connection, "select * from v_names");
        Assert.False(catalog.TryGetColumn(names["name"].Table, names["name"].AttNum, out _));

        // A partition is masked through its parent's glob.
        var partition = await OriginsAsync(connection, "select * from payments_2025");
        Assert.True(catalog.TryGetColumn(partition["card"].Table, partition["card"].AttNum, out var card));
        Assert.Equal("public.payments_2025.card", card.Label);
        Assert.True(catalog.Names.TryGetRelation("public", "v_email_2", out _));
        Assert.Equal(["id", "name", "email", "card"], catalog.ColumnsOf("public", "customers")!.Select(c => c.Name));

        // DDL: cached until invalidated, then the new view is known and masked.
        await Postgres.ExecuteAsync(connection.Database, "create view v_new as select email from customers");
        var created = await OidOfAsync(connection, "v_new");
        Assert.Same(catalog, await cache.GetAsync(target, [Pii], 1, CancellationToken.None));
        Assert.False(catalog.IsKnownRelation(created));

        cache.Invalidate(target.Name);
        var reloaded = await cache.GetAsync(target, [Pii], 1, CancellationToken.None);
        Assert.True(reloaded.IsKnownRelation(created));
        Assert.True(reloaded.TryGetColumn(created, 1, out _));
        Assert.Equal(2, dials.Count);

        // A newer policy version reloads too.
        await Postgres.ExecuteAsync(connection.Database, "create table later(x text)");
        var later = await OidOfAsync(connection, "later");
        Assert.True((await cache.GetAsync(target, [Pii], 2, CancellationToken.None)).IsKnownRelation(later));
    }

    public void Dispose() => _services.Dispose();

    private async Task<(ResolvedTarget Target, string ConnectionString)> NewTargetAsync()
    {
        var database = await fixture.CreateDatabaseAsync("mask_catalog");
        await Postgres.ExecuteAsync(database, Schema);
        var target = new ResolvedTarget("shop", new TargetOptions
        {
            Port = Postgres.Port,
            Database = database,
            Username = "postgres",
            Password = Postgres.SuperuserPassword,
        });
        return (target, Postgres.ConnectionString(database));
    }

    private MaskCatalogCache NewCache()
    {
        var telemetry = new EdgeTelemetry(_services.GetRequiredService<IMeterFactory>());
        var connector = new UpstreamConnector(telemetry, NullLogger<UpstreamConnector>.Instance);
        return new MaskCatalogCache(connector, TimeProvider.System, NullLogger<MaskCatalogCache>.Instance);
    }

    /// <summary>Table OID and attnum of each result column, as the server's RowDescription gives them.</summary>
    private static async Task<Dictionary<string, (uint Table, short AttNum)>> OriginsAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var schema = reader.GetColumnSchema();
        return schema.ToDictionary(c => c.ColumnName, c => (c.TableOID, (short)c.ColumnAttributeNumber!.Value));
    }

    private static async Task<uint> OidOfAsync(NpgsqlConnection connection, string relation)
    {
        await using var command = new NpgsqlCommand($"select '{relation}'::regclass::oid", connection);
        return (uint)(await command.ExecuteScalarAsync())!;
    }
}
