using Microsoft.Extensions.Logging;
using Npgsql;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.IntegrationTests.Policy;

namespace OrleansGate.IntegrationTests.Audit;

/// <summary>
/// A state-changing statement reaches the target only after its audit record is durable: with the audit store
/// down, a write is refused and the target never sees it.
/// </summary>
[Collection(AuditClusterCollection.Name)]
public sealed class AuditBeforeUpstreamTests(AuditClusterFixture fixture)
{
    private async Task<long> TargetCountAsync()
    {
        await using var connection = new NpgsqlConnection(fixture.Postgres.ConnectionString("demo"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM audited_writes", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task Write_without_a_durable_record_never_reaches_the_target()
    {
        await fixture.Postgres.ExecuteAsync("demo", "CREATE TABLE IF NOT EXISTS audited_writes (id int); GRANT SELECT, INSERT ON audited_writes TO gateway_demo");
        var before = await TargetCountAsync();
        await using var connection = new NpgsqlConnection(fixture.Node.ConnectionString(await fixture.Node.GetTokenAsync()));
        await connection.OpenAsync();
        await using (var write = new NpgsqlCommand("INSERT INTO audited_writes VALUES (1)", connection))
        {
            Assert.Equal(1, await write.ExecuteNonQueryAsync());
        }

        Assert.Equal(before + 1, await TargetCountAsync());
        await fixture.AuditStore.StopAsync();
        try
        {
            await using var write = new NpgsqlCommand("INSERT INTO audited_writes VALUES (2)", connection);
            var refused = await Assert.ThrowsAsync<PostgresException>(() => write.ExecuteNonQueryAsync());
            Assert.Equal("58000", refused.SqlState);
            Assert.StartsWith("statement refused by the gateway: audit store unavailable:", refused.MessageText, StringComparison.Ordinal);

            // The refused write did not reach the target.
            Assert.Equal(before + 1, await TargetCountAsync());
        }
        finally
        {
            await fixture.AuditStore.StartAgainAsync();
        }
    }

    [Fact]
    public async Task Statements_refused_during_an_outage_are_logged_once_and_summarised_not_one_line_each()
    {
        const int refusedStatements = 100;
        await using var session = await RawSession.OpenAsync(fixture.Node);
        Assert.Null(RawSession.Error(await session.QueryAsync("SELECT 1")));
        var captured = CapturedLog.Of(fixture.Node);
        var mark = captured.Mark;
        await fixture.AuditStore.StopAsync();
        try
        {
            for (var i = 0; i < refusedStatements; i++)
            {
                Assert.Equal("58000", RawSession.Error(await session.QueryAsync("SELECT 1"))?['C']);
            }
        }
        finally
        {
            await fixture.AuditStore.StartAgainAsync();
        }

        // Back: the same session's next statement runs (a client retries, boundedly, as a real one would).
        var resumed = false;
        for (var attempt = 0; attempt < 50 && !resumed; attempt++)
        {
            resumed = RawSession.Error(await session.QueryAsync("SELECT 1")) is null;
        }

        Assert.True(resumed, "statements were still refused after the audit store came back");
        var grainLines = captured.Since(mark).Where(e => e.Category == typeof(OrleansGate.Edge.Sessions.EdgeSession).FullName && e.Level >= LogLevel.Warning).ToList();
        Assert.InRange(grainLines.Count, 1, 2);
        var ended = Assert.Single(captured.Since(mark), e => e.Category == typeof(OrleansGate.Edge.Sessions.EdgeSession).FullName && e.Message.StartsWith("Audit available again", StringComparison.Ordinal));
        Assert.True(long.Parse(ended.Value("Count")!, System.Globalization.CultureInfo.InvariantCulture) >= refusedStatements);
    }

    [Fact]
    public async Task Executions_of_a_prepared_write_are_refused_soon_after_the_audit_store_goes_away()
    {
        // Executions of a prepared statement need no new statement record (that was made at Parse), but their
        // completion records do: once those cannot be written, executions are refused, and the target sees none of them.
        await fixture.Postgres.ExecuteAsync("demo", "CREATE TABLE IF NOT EXISTS audited_writes (id int); GRANT SELECT, INSERT ON audited_writes TO gateway_demo");
        var before = await TargetCountAsync();
        await using var connection = new NpgsqlConnection(fixture.Node.ConnectionString(await fixture.Node.GetTokenAsync()));
        await connection.OpenAsync();
        await using var write = new NpgsqlCommand("INSERT INTO audited_writes VALUES ($1)", connection);
        var id = new NpgsqlParameter<int> { TypedValue = 0 };
        write.Parameters.Add(id);
        await write.PrepareAsync();
        Assert.Equal(1, await write.ExecuteNonQueryAsync());

        await fixture.AuditStore.StopAsync();
        var executed = 1;
        PostgresException? refused = null;
        try
        {
            for (var i = 0; i < 5_000 && refused is null; i++)
            {
                id.TypedValue = i + 1;
                try
                {
                    await write.ExecuteNonQueryAsync();
                    executed++;
                }
                catch (PostgresException e)
                {
                    refused = e;
                }
            }

            Assert.NotNull(refused);
            Assert.Equal("58000", refused.SqlState);
            Assert.Contains("audit store unavailable", refused.MessageText, StringComparison.Ordinal);

            // Refusals begin once the first write of the session's completions fails (64 of them, and at most 64 more
            // queued while that write is in flight: AuditPump.RoomForLaterAsync), not never; and every execution the
            // client saw succeed is exactly what the target holds: none of the refused ones ran.
            Assert.InRange(executed, 1, (2 * OrleansGate.Edge.Sessions.AuditPump.LaterCount) + 1);
            Assert.Equal(before + executed, await TargetCountAsync());
        }
        finally
        {
            await fixture.AuditStore.StartAgainAsync();
        }
    }
}
