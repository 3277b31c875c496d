using Npgsql;
using OrleansGate.IntegrationTests.Fixtures;

namespace OrleansGate.IntegrationTests.Gateway;

[Collection(GatewayCollection.Name)]
public sealed class AuditAndRestartTests(GatewayFixture fixture)
{
    private async Task<NpgsqlConnection> StateAsync()
    {
        var connection = new NpgsqlConnection(fixture.Settings.StateConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    private static async Task<long> ScalarAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Every_statement_is_decided_and_audited_before_its_result_arrives()
    {
        await using var state = await StateAsync();
        var beforeLogin = await ScalarAsync(state, "SELECT coalesce(max(seq), 0) FROM orleansgate_audit");

        await using (var connection = new NpgsqlConnection(fixture.Node.ConnectionString(await fixture.Node.GetTokenAsync())))
        {
            await connection.OpenAsync();

            // Npgsql may load the type catalogue on its first connection: count from here.
            var before = await ScalarAsync(state, "SELECT coalesce(max(seq), 0) FROM orleansgate_audit");
            for (var i = 0; i < 3; i++)
            {
                await using var command = new NpgsqlCommand("SELECT count(*) FROM customers", connection);
                await command.ExecuteScalarAsync();

                // The record of a statement whose result we hold is already durable.
                var statements = await ScalarAsync(state, $"SELECT count(*) FROM orleansgate_audit WHERE seq > {before} AND kind = 'Statement'");
                Assert.Equal(i + 1, statements);
            }
        }

        await using var rows = new NpgsqlCommand(
            $"SELECT kind, subject, target, decision, rule FROM orleansgate_audit WHERE seq > {beforeLogin} AND kind IN ('Login', 'Statement') ORDER BY seq", state);
        await using var reader = await rows.ExecuteReaderAsync();
        var kinds = new List<string>();
        while (await reader.ReadAsync())
        {
            kinds.Add(reader.GetString(0));
            Assert.Equal(GatewaySettings.AgentClientId, reader.GetString(1));
            Assert.Equal(GatewaySettings.TargetName, reader.GetString(2));
            if (reader.GetString(0) == "Statement")
            {
                Assert.Equal("Allow", reader.GetString(3));
                Assert.Equal("allow-all", reader.GetString(4));
            }
        }

        Assert.Equal("Login", kinds[0]);
        Assert.True(kinds.Count(k => k == "Statement") >= 3);
        Assert.Equal(1, kinds.Count(k => k == "Login"));
    }

    [Fact]
    public async Task Restarted_gateway_keeps_its_schema_and_records_and_serves_again()
    {
        await using (var connection = new NpgsqlConnection(fixture.Node.ConnectionString(await fixture.Node.GetTokenAsync())))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            await command.ExecuteScalarAsync();
        }

        long auditBefore, schemaBefore;
        await using (var state = await StateAsync())
        {
            auditBefore = await ScalarAsync(state, "SELECT count(*) FROM orleansgate_audit");
            schemaBefore = await ScalarAsync(state, "SELECT count(*) FROM orleansgate_schema_version");
            Assert.True(schemaBefore > 0);
        }

        await fixture.RestartNodeAsync();

        await using (var connection = new NpgsqlConnection(fixture.Node.ConnectionString(await fixture.Node.GetTokenAsync())))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT count(*) FROM customers", connection);
            Assert.Equal(3L, (long)(await command.ExecuteScalarAsync())!);
        }

        await using (var state = await StateAsync())
        {
            Assert.Equal(schemaBefore, await ScalarAsync(state, "SELECT count(*) FROM orleansgate_schema_version"));
            Assert.True(await ScalarAsync(state, "SELECT count(*) FROM orleansgate_audit") > auditBefore);
        }
    }
}
