using Npgsql;
using OrleansGate.IntegrationTests.Fixtures;

namespace OrleansGate.IntegrationTests.Gateway;

/// <summary>
/// Refusals the gateway makes before any policy: statements the real parser cannot parse. They exercise the
/// refusal path of both protocols (the refused statement is replaced upstream and its error rewritten).
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class RefusalTests(GatewayFixture fixture)
{
    private const string Unparsable = "SELEC 1 FROM customers";

    private async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(fixture.Node.ConnectionString(await fixture.Node.GetTokenAsync()));
        await connection.OpenAsync();
        return connection;
    }

    [Fact]
    public async Task Unparsable_statement_in_extended_protocol_is_denied_with_42501_and_the_session_stays_usable()
    {
        await using var connection = await OpenAsync();
        await using var bad = new NpgsqlCommand(Unparsable, connection);
        var error = await Assert.ThrowsAsync<PostgresException>(() => bad.ExecuteScalarAsync());
        Assert.Equal("42501", error.SqlState);
        Assert.Contains("gateway:unparsable", error.MessageText, StringComparison.Ordinal);

        await using var good = new NpgsqlCommand("SELECT count(*) FROM customers", connection);
        Assert.Equal(3L, (long)(await good.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task Unparsable_statement_inside_a_transaction_fails_the_transaction_as_postgres_would()
    {
        await using var connection = await OpenAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await using var bad = new NpgsqlCommand(Unparsable, connection, tx);
        Assert.Equal("42501", (await Assert.ThrowsAsync<PostgresException>(() => bad.ExecuteScalarAsync())).SqlState);

        await using var next = new NpgsqlCommand("SELECT 1", connection, tx);
        Assert.Equal("25P02", (await Assert.ThrowsAsync<PostgresException>(() => next.ExecuteScalarAsync())).SqlState);
        await tx.RollbackAsync();

        await using var after = new NpgsqlCommand("SELECT 2", connection);
        Assert.Equal(2, (int)(await after.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task Refusal_in_the_middle_of_a_pipelined_batch_keeps_answers_in_order()
    {
        await using var connection = await OpenAsync();
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("SELECT 'first'"),
                new NpgsqlBatchCommand(Unparsable),
                new NpgsqlBatchCommand("SELECT 'third'"),
            },
        };
        await using (var reader = await batch.ExecuteReaderAsync())
        {
            Assert.True(await reader.ReadAsync());
            Assert.Equal("first", reader.GetString(0));
            var error = await Assert.ThrowsAsync<PostgresException>(() => reader.NextResultAsync());
            Assert.Equal("42501", error.SqlState);
        }

        await using var after = new NpgsqlCommand("SELECT 'after'", connection);
        Assert.Equal("after", (string)(await after.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task Statement_is_audited_normalised_without_its_literals()
    {
        await using var connection = await OpenAsync();
        await using (var command = new NpgsqlCommand("SELECT id FROM customers WHERE email = 'grace@example.com'", connection))
        {
            Assert.Equal(2, (int)(await command.ExecuteScalarAsync())!);
        }

        await using var state = new NpgsqlConnection(fixture.Settings.StateConnectionString);
        await state.OpenAsync();
        await using var audit = new NpgsqlCommand(
            "SELECT statement_normalized, statement_fingerprint FROM orleansgate_audit WHERE statement_normalized LIKE '%FROM customers WHERE email%' ORDER BY seq DESC LIMIT 1", state);
        await using var reader = await audit.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal("SELECT id FROM customers WHERE email = $1", reader.GetString(0));
        Assert.False(string.IsNullOrEmpty(reader.GetString(1)));

        await reader.DisposeAsync();
        await using var leak = new NpgsqlCommand("SELECT count(*) FROM orleansgate_audit WHERE statement_normalized LIKE '%grace@example.com%'", state);
        Assert.Equal(0L, (long)(await leak.ExecuteScalarAsync())!);
    }
}
