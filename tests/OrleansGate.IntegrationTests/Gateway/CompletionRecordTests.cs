using System.Diagnostics;
using Npgsql;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.IntegrationTests.Infrastructure;

namespace OrleansGate.IntegrationTests.Gateway;

/// <summary>
/// Every executed statement gets its completion (rows, duration, outcome): in its statement record, or in a completion
/// record linked to it, through the simple protocol (psql) and the extended one (Npgsql, prepared statements executed
/// many times).
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class CompletionRecordTests(GatewayFixture fixture)
{
    private sealed record Completion(string? Statement, string StatementKind, long? Rows, long? DurationMicroseconds, string? Outcome);

    private async Task<NpgsqlConnection> StateAsync()
    {
        var connection = new NpgsqlConnection(fixture.Settings.StateConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    private async Task<long> MaxSeqAsync()
    {
        await using var state = await StateAsync();
        await using var command = new NpgsqlCommand("SELECT coalesce(max(seq), 0) FROM orleansgate_audit", state);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>
    /// The completions of the one session that logged in after <paramref name="after"/>, joined to the statement records
    /// they name. Waits (bounded) for that session's logout record: the edge closes the session after the client left.
    /// </summary>
    private async Task<List<Completion>> CompletionsOfSessionAfterAsync(long after)
    {
        await using var state = await StateAsync();
        await using var logout = new NpgsqlCommand(
            "SELECT session_id FROM orleansgate_audit WHERE seq > $1 AND kind = 'Logout' AND session_id IN (SELECT session_id FROM orleansgate_audit WHERE seq > $1 AND kind = 'Login')", state);
        logout.Parameters.Add(new NpgsqlParameter<long> { TypedValue = after });
        var deadline = Stopwatch.StartNew();
        string? sessionId;
        while ((sessionId = (string?)await logout.ExecuteScalarAsync()) is null)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(20), "the session's logout record never arrived");
        }

        // A read's completion travels in its statement record when it is known before that record is written; otherwise
        // (a write, a later execution of a prepared statement) it is a completion record naming the statement record.
        await using var command = new NpgsqlCommand(
            """
            SELECT s.statement_normalized, s.kind, c.rows_affected, c.duration_us, c.outcome, c.session_seq
            FROM orleansgate_audit c JOIN orleansgate_audit s ON s.session_id = c.session_id AND s.session_seq = c.completes_seq
            WHERE c.session_id = $1 AND c.kind = 'Completion'
            UNION ALL
            SELECT s.statement_normalized, s.kind, s.rows_affected, s.duration_us, s.outcome, s.session_seq
            FROM orleansgate_audit s WHERE s.session_id = $1 AND s.kind = 'Statement' AND s.outcome IS NOT NULL
            ORDER BY 6
            """, state);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sessionId });
        var result = new List<Completion>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                result.Add(new Completion(
                    reader.IsDBNull(0) ? null : reader.GetString(0),
                    reader.GetString(1),
                    reader.IsDBNull(2) ? null : reader.GetInt64(2),
                    reader.IsDBNull(3) ? null : reader.GetInt64(3),
                    reader.IsDBNull(4) ? null : reader.GetString(4)));
            }
        }

        // Every completion names a statement record of its own session: none is orphaned.
        await using var orphans = new NpgsqlCommand(
            "SELECT count(*) FROM orleansgate_audit c WHERE c.session_id = $1 AND c.kind = 'Completion' AND NOT EXISTS (SELECT 1 FROM orleansgate_audit s WHERE s.session_id = c.session_id AND s.session_seq = c.completes_seq AND s.kind = 'Statement')", state);
        orphans.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sessionId });
        Assert.Equal(0L, (long)(await orphans.ExecuteScalarAsync())!);
        return result;
    }

    [Fact]
    public async Task Simple_queries_get_rows_duration_and_outcome_recorded_with_their_statement()
    {
        var after = await MaxSeqAsync();
        var settings = fixture.Node.Settings;
        var result = await ExternalCommand.RunAsync(
            "psql",
            [$"host=127.0.0.1 port={settings.PostgresPort} dbname={GatewaySettings.TargetName} user={GatewaySettings.AgentClientId} sslmode=disable",
                "-X", "-A", "-t",
                "-c", "SELECT name FROM customers ORDER BY id",
                "-c", "SELECT 1 UNION ALL SELECT 2; SELECT 3",
                "-c", "SELECT 1 / 0"],
            TimeSpan.FromSeconds(60),
            environment: new Dictionary<string, string> { ["PGPASSWORD"] = await fixture.Node.GetTokenAsync(), ["PGCONNECT_TIMEOUT"] = "15" });
        Assert.Equal(1, result.ExitCode); // psql stops at the division by zero
        Assert.Contains("division by zero", result.StandardError, StringComparison.Ordinal);

        var completions = await CompletionsOfSessionAfterAsync(after);
        Assert.Equal(3, completions.Count);
        Assert.All(completions, c => Assert.Equal("Statement", c.StatementKind));
        Assert.All(completions, c => Assert.True(c.DurationMicroseconds > 0));

        Assert.Equal("SELECT name FROM customers ORDER BY id", completions[0].Statement);
        Assert.Equal((3L, "ok"), (completions[0].Rows, completions[0].Outcome));

        // Two statements in one Query message: one record, their rows summed.
        Assert.Equal((3L, "ok"), (completions[1].Rows, completions[1].Outcome));

        // The outcome of a failed statement is its SQLSTATE; literals stay normalised out of the statement.
        Assert.Equal("SELECT $1 / $2", completions[2].Statement);
        Assert.Equal((null, "22012"), (completions[2].Rows, completions[2].Outcome));
    }

    [Fact]
    public async Task Each_execution_of_a_prepared_statement_gets_its_own_completion_record()
    {
        var after = await MaxSeqAsync();
        const int executions = 150; // more than the edge keeps before writing completions in a call of their own
        await using (var connection = new NpgsqlConnection(fixture.Node.ConnectionString(await fixture.Node.GetTokenAsync())))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT name FROM customers WHERE id <= $1", connection);
            var limit = new NpgsqlParameter<int> { TypedValue = 0 };
            command.Parameters.Add(limit);
            await command.PrepareAsync();
            for (var i = 0; i < executions; i++)
            {
                limit.TypedValue = i % 4; // 0..3 rows
                await using var reader = await command.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                }
            }
        }

        var completions = await CompletionsOfSessionAfterAsync(after);
        var prepared = completions.Where(c => c.Statement == "SELECT name FROM customers WHERE id <= $1").ToList();
        Assert.Equal(executions, prepared.Count);
        Assert.Equal(Enumerable.Range(0, executions).Select(i => (long?)(i % 4)), prepared.Select(c => c.Rows));
        Assert.All(prepared, c => Assert.Equal("ok", c.Outcome));
    }
}
