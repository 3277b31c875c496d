using Npgsql;
using OrleansGate.IntegrationTests.Fixtures;

namespace OrleansGate.IntegrationTests.Gateway;

/// <summary>Npgsql always speaks the extended protocol: Parse/Bind/Describe/Execute/Sync.</summary>
[Collection(GatewayCollection.Name)]
public sealed class NpgsqlThroughGatewayTests(GatewayFixture fixture)
{
    private async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(fixture.Node.ConnectionString(await fixture.Node.GetTokenAsync()));
        await connection.OpenAsync();
        return connection;
    }

    [Fact]
    public async Task Select_returns_the_demo_rows()
    {
        await using var connection = await OpenAsync();
        await using var command = new NpgsqlCommand("SELECT name FROM customers ORDER BY id", connection);
        var names = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                names.Add(reader.GetString(0));
            }
        }

        Assert.Equal(["Ada Lovelace", "Grace Hopper", "Edsger Dijkstra"], names);
    }

    [Fact]
    public async Task Session_runs_as_the_target_credential_not_the_agent()
    {
        await using var connection = await OpenAsync();
        await using var command = new NpgsqlCommand("SELECT current_user, current_database()", connection);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal("gateway_demo", reader.GetString(0));
        Assert.Equal("demo", reader.GetString(1));
    }

    [Fact]
    public async Task Prepared_statement_runs_repeatedly_with_parameters()
    {
        await using var connection = await OpenAsync();
        await using var command = new NpgsqlCommand("SELECT amount FROM orders WHERE customer_id = $1 ORDER BY id", connection);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = 1 });
        await command.PrepareAsync();
        Assert.True(command.IsPrepared);

        for (var customer = 1; customer <= 3; customer++)
        {
            command.Parameters[0].Value = customer;
            var amounts = new List<decimal>();
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                amounts.Add(reader.GetDecimal(0));
            }

            var expected = customer switch
            {
                1 => new[] { 120.50m, 35.00m },
                2 => [999.99m],
                _ => [],
            };
            Assert.Equal(expected, amounts);
        }
    }

    [Fact]
    public async Task Batch_of_statements_is_answered_in_order()
    {
        await using var connection = await OpenAsync();
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("SELECT 1"),
                new NpgsqlBatchCommand("SELECT count(*) FROM customers"),
                new NpgsqlBatchCommand("SELECT 'three'"),
            },
        };
        await using var reader = await batch.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(1, reader.GetInt32(0));
        Assert.True(await reader.NextResultAsync());
        Assert.True(await reader.ReadAsync());
        Assert.Equal(3L, reader.GetInt64(0));
        Assert.True(await reader.NextResultAsync());
        Assert.True(await reader.ReadAsync());
        Assert.Equal("three", reader.GetString(0));
    }

    [Fact]
    public async Task Transaction_with_write_commits_and_rolls_back()
    {
        await using var connection = await OpenAsync();
        var id = Random.Shared.Next(10_000, 1_000_000);
        await using (var tx = await connection.BeginTransactionAsync())
        {
            await using var insert = new NpgsqlCommand($"INSERT INTO orders (id, customer_id, amount) VALUES ({id}, 3, 1.00)", connection, tx);
            Assert.Equal(1, await insert.ExecuteNonQueryAsync());
            await tx.RollbackAsync();
        }

        await using var count = new NpgsqlCommand($"SELECT count(*) FROM orders WHERE id = {id}", connection);
        Assert.Equal(0L, (long)(await count.ExecuteScalarAsync())!);

        await using (var tx = await connection.BeginTransactionAsync())
        {
            await using var insert = new NpgsqlCommand($"INSERT INTO orders (id, customer_id, amount) VALUES ({id}, 3, 1.00)", connection, tx);
            Assert.Equal(1, await insert.ExecuteNonQueryAsync());
            await tx.CommitAsync();
        }

        Assert.Equal(1L, (long)(await count.ExecuteScalarAsync())!);
        await using var delete = new NpgsqlCommand($"DELETE FROM orders WHERE id = {id}", connection);
        Assert.Equal(1, await delete.ExecuteNonQueryAsync());
    }

    [Fact]
    public async Task Upstream_error_is_relayed_and_the_session_stays_usable()
    {
        await using var connection = await OpenAsync();
        await using var failing = new NpgsqlCommand("SELECT 1 / 0", connection);
        var error = await Assert.ThrowsAsync<PostgresException>(() => failing.ExecuteScalarAsync());
        Assert.Equal("22012", error.SqlState);

        await using var ok = new NpgsqlCommand("SELECT 42", connection);
        Assert.Equal(42, (int)(await ok.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task Large_result_is_relayed_whole()
    {
        await using var connection = await OpenAsync();
        await using var command = new NpgsqlCommand("SELECT g, repeat('x', 1000) FROM generate_series(1, 20000) g", connection);
        long sum = 0;
        var rows = 0;
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            sum += reader.GetInt32(0);
            Assert.Equal(1000, reader.GetString(1).Length);
            rows++;
        }

        Assert.Equal(20000, rows);
        Assert.Equal(20000L * 20001 / 2, sum);
    }
}
