using Npgsql;
using OrleansGate.IntegrationTests.Infrastructure;

namespace OrleansGate.IntegrationTests.Audit;

/// <summary>
/// A pure read is forwarded before its record is durable, and its result is held until it is (docs/audit.md, "Reads").
/// When the audit store goes away while such a read runs, the target ran it, but nothing of its result reaches the agent:
/// the client gets 58000 in its place, and the read's record is written once the store is back.
/// </summary>
[Collection(AuditClusterCollection.Name)]
public sealed class AuditWithheldReadTests(AuditClusterFixture fixture)
{
    [Fact]
    public async Task A_read_whose_record_cannot_be_written_runs_at_the_target_but_its_result_is_withheld_with_58000()
    {
        var alias = "withheld_" + Guid.NewGuid().ToString("N")[..12];
        var token = await fixture.Node.GetTokenAsync();

        // An outage of an earlier test may have just ended: a login and a statement work first, as a client would retry them.
        await Poll.UntilAsync(() => AuditClient.TryOnceAsync(fixture.Node.ConnectionString(token)), "the gateway did not take statements");

        await using var connection = new NpgsqlConnection(fixture.Node.ConnectionString(token));
        await connection.OpenAsync();
        await using (var warm = new NpgsqlCommand("SELECT 1", connection))
        {
            Assert.Equal(1, await warm.ExecuteScalarAsync());
        }

        PostgresException refused;
        try
        {
            await fixture.AuditStore.StopAsync();
            await using var read = new NpgsqlCommand($"SELECT 42 AS {alias}, pg_sleep(5)", connection);
            var running = read.ExecuteScalarAsync();

            // The gateway forwarded it at once: the target is running it while its record cannot be written. The read lasts
            // 5 s so that a loaded machine, where each poll opens a connection slowly, still sees it running (1.5 s was missed once).
            await Poll.UntilAsync(() => TargetRunsAsync(alias), "the read never reached the target");
            refused = await Assert.ThrowsAsync<PostgresException>(() => running);
        }
        finally
        {
            await fixture.AuditStore.StartAgainAsync();
        }

        Assert.Equal("58000", refused.SqlState);
        Assert.StartsWith("statement refused by the gateway: audit store unavailable", refused.MessageText, StringComparison.Ordinal);

        // Nothing is lost: once the store is back, the read that ran has its one record (with the session's logout).
        await connection.DisposeAsync();
        await Poll.UntilAsync(async () => await AuditCountAsync(alias) > 0, "the withheld read's record was not written after the store came back");
        Assert.Equal(1L, await AuditCountAsync(alias));
        var report = await fixture.VerifyAsync();
        Assert.True(report.Ok, string.Join("\n", report.Problems));
    }

    private async Task<bool> TargetRunsAsync(string alias)
    {
        await using var connection = new NpgsqlConnection(fixture.Postgres.ConnectionString("demo"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%' || $1 || '%' AND pid <> pg_backend_pid()", connection);
        command.Parameters.AddWithValue(alias);
        return (long)(await command.ExecuteScalarAsync())! > 0;
    }

    private async Task<long> AuditCountAsync(string alias)
    {
        await using var connection = new NpgsqlConnection(fixture.AuditConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM orleansgate_audit WHERE kind = 'Statement' AND statement_normalized LIKE '%' || $1 || '%'", connection);
        command.Parameters.AddWithValue(alias);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
