using System.Globalization;
using Npgsql;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.IntegrationTests.Infrastructure;

namespace OrleansGate.IntegrationTests.Audit;

/// <summary>
/// pgbench -M prepared executes one prepared INSERT over and over: each execution is audited by its completion record,
/// written after it ran. The audit store goes away mid-run and comes back: every execution the target ran has exactly
/// one completion record, including those of sessions that ended while the store was down.
/// </summary>
[Collection(AuditClusterCollection.Name)]
public sealed class AuditOutagePreparedTests(AuditClusterFixture fixture)
{
    private const string Statement = "INSERT INTO outage_exec";

    [Fact]
    public async Task Audit_store_outage_under_pgbench_prepared_leaves_exactly_one_completion_record_per_execution_at_the_target()
    {
        await fixture.Postgres.ExecuteAsync("demo", """
            DROP TABLE IF EXISTS outage_exec;
            CREATE TABLE outage_exec (id bigserial PRIMARY KEY, client int NOT NULL);
            GRANT SELECT, INSERT ON outage_exec TO gateway_demo;
            GRANT USAGE ON SEQUENCE outage_exec_id_seq TO gateway_demo;
            """);
        var script = Path.Combine(Directory.CreateTempSubdirectory("orleansgate-pgbench-").FullName, "insert.sql");
        await File.WriteAllTextAsync(script, "INSERT INTO outage_exec (client) VALUES (:client_id);\n");
        var environment = new Dictionary<string, string>
        {
            ["PGHOST"] = "127.0.0.1",
            ["PGPORT"] = fixture.Settings.PostgresPort.ToString(CultureInfo.InvariantCulture),
            ["PGUSER"] = GatewaySettings.AgentClientId,
            ["PGDATABASE"] = GatewaySettings.TargetName,
            ["PGPASSWORD"] = await fixture.Node.GetTokenAsync(),
            ["PGSSLMODE"] = "disable",
        };

        // An outage of an earlier test may have just ended: a login and a statement work first, as a client would retry them.
        await Poll.UntilAsync(async () => await AuditClient.TryOnceAsync(fixture.Node.ConnectionString(environment["PGPASSWORD"])), "the gateway did not take statements");

        // Bounded: 20 s at most; the clients abort on the first refusal (58000) once the store is gone.
        var bench = ExternalCommand.RunAsync("pgbench", ["-n", "-M", "prepared", "-c", "4", "-j", "1", "-T", "20", "-f", script], TimeSpan.FromSeconds(90), environment: environment);
        try
        {
            await Poll.UntilAsync(
                async () => await TargetCountAsync() >= 300 || (bench.IsCompleted ? throw new InvalidOperationException($"pgbench ended early: {await bench}") : false),
                "pgbench did not get going");
            await fixture.AuditStore.StopAsync();
            var result = await bench;
            Assert.True(result.StandardError.Contains("aborted", StringComparison.Ordinal), result.ToString());
            Assert.True(result.StandardError.Contains("statement refused by the gateway: audit store unavailable", StringComparison.Ordinal), result.ToString());
        }
        finally
        {
            await fixture.AuditStore.StartAgainAsync();
        }

        // Every session of the run gets its Logout once the store is back (held by the audit backlog until then).
        await Poll.UntilAsync(async () => await AuditScalarAsync(
            $"""
            SELECT count(*) FROM (SELECT DISTINCT session_id FROM orleansgate_audit WHERE statement_normalized LIKE '{Statement}%') s
            WHERE NOT EXISTS (SELECT 1 FROM orleansgate_audit l WHERE l.session_id = s.session_id AND l.kind = 'Logout')
            """) == 0, "the sessions' logouts were not written after the store came back");

        var executions = await TargetCountAsync();
        var completions = await AuditScalarAsync(
            $"""
            SELECT count(*) FROM orleansgate_audit c JOIN orleansgate_audit s ON s.session_id = c.session_id AND s.session_seq = c.completes_seq
            WHERE c.kind = 'Completion' AND s.statement_normalized LIKE '{Statement}%' AND c.outcome = 'ok'
            """);
        var distinct = await AuditScalarAsync(
            $"""
            SELECT count(DISTINCT (c.session_id, c.completes_seq, c.at, c.duration_us)) FROM orleansgate_audit c
            JOIN orleansgate_audit s ON s.session_id = c.session_id AND s.session_seq = c.completes_seq
            WHERE c.kind = 'Completion' AND s.statement_normalized LIKE '{Statement}%'
            """);
        var all = await AuditScalarAsync(
            $"""
            SELECT count(*) FROM orleansgate_audit c JOIN orleansgate_audit s ON s.session_id = c.session_id AND s.session_seq = c.completes_seq
            WHERE c.kind = 'Completion' AND s.statement_normalized LIKE '{Statement}%'
            """);

        Assert.True(executions >= 300, $"{executions} executions");
        Assert.True(executions == completions, $"{executions} executions at the target, {completions} ok completion records");
        Assert.True(all == distinct, $"{all} completion records, {distinct} distinct");
        var report = await fixture.VerifyAsync();
        Assert.True(report.Ok, string.Join("\n", report.Problems));
    }

    private async Task<long> TargetCountAsync()
    {
        await using var connection = new NpgsqlConnection(fixture.Postgres.ConnectionString("demo"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM outage_exec", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private async Task<long> AuditScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(fixture.AuditConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
