using Npgsql;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.Postgres.Protocol;

namespace OrleansGate.IntegrationTests.Policy;

/// <summary>
/// Refusals the edge makes by its own bookkeeping, without a decision of the session grain (unknown statement and
/// portal names, the statement limit, a Bind repeating its Parse's refusal), are audited like any refused statement:
/// a Statement record with decision Deny, the gateway's rule and reason, and the SQLSTATE the client got as outcome.
/// </summary>
[Collection(PolicyCollection.Name)]
public sealed class EdgeRefusalAuditTests(PolicyFixture fixture)
{
    [Fact]
    public async Task Bind_and_execute_of_unknown_names_are_audited_with_rule_reason_and_sqlstate()
    {
        var id = Guid.NewGuid().ToString("N");
        await using var session = await RawSession.OpenAsync(fixture.Node);
        var bound = RawSession.Error(await session.ExtendedAsync(w =>
        {
            WireMessages.Bind(w, "", $"never_{id}");
            WireMessages.Sync(w);
        }));
        Assert.Equal("42501", bound?['C']);
        var executed = RawSession.Error(await session.ExtendedAsync(w =>
        {
            WireMessages.Execute(w, $"nowhere_{id}");
            WireMessages.Sync(w);
        }));
        Assert.Equal("42501", executed?['C']);

        // Recorded before the refusal reached the client: no waiting needed.
        var rows = await AuditRowsAsync($"reason LIKE '%{id}%'");
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.Equal(("Statement", "Deny", "gateway:unknown-statement", "42501"), (r.Kind, r.Decision, r.Rule, r.Outcome)));
        Assert.StartsWith($"prepared statement \"never_{id}\" cannot be bound", rows[0].Reason, StringComparison.Ordinal);
        Assert.StartsWith($"portal \"nowhere_{id}\" cannot be executed", rows[1].Reason, StringComparison.Ordinal);
        Assert.Equal(rows[0].SessionId, rows[1].SessionId);

        // They name the policy version the edge knows (the fixture has applied one), not "version 0".
        Assert.Equal(2, (await AuditRowsAsync($"reason LIKE '%{id}%' AND policy_version >= 1")).Count);
    }

    [Fact]
    public async Task Bind_repeating_the_refusal_of_its_parse_is_audited_again()
    {
        var id = Guid.NewGuid().ToString("N");
        await using var session = await RawSession.OpenAsync(fixture.Node);
        var write = $"UPDATE orders SET status = 'refused' WHERE id = 3 RETURNING id AS audit_{id}";
        Assert.Equal("42501", RawSession.Error(await session.ExtendedAsync(w =>
        {
            FrontendWriter.Parse(w, "refused", write);
            WireMessages.Sync(w);
        }))?['C']);
        Assert.Equal("42501", RawSession.Error(await session.ExtendedAsync(w =>
        {
            WireMessages.Bind(w, "", "refused");
            WireMessages.Sync(w);
        }))?['C']);

        // The Parse decided by the grain, then the Bind refused by the edge with the same decision: two records.
        var rows = await AuditRowsAsync($"statement_normalized LIKE '%audit_{id}%'");
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.Equal(("Statement", "Deny", "default-deny"), (r.Kind, r.Decision, r.Rule)));
        Assert.Null(rows[0].Outcome);
        Assert.Equal("42501", rows[1].Outcome);
        Assert.DoesNotContain(rows, r => r.Normalized.Contains("'refused'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Login_refused_at_the_upstream_dial_after_the_session_opened_says_why_in_its_logout_record()
    {
        await using var client = await RawPgClient.ConnectAsync(fixture.Node.Settings.PostgresPort);
        var answer = await client.LoginAsync(GatewaySettings.AgentClientId, PolicyFixture.MissingDatabaseTarget, await fixture.Node.GetTokenAsync());
        var fatal = RawSession.Error(answer);
        Assert.Equal("08006", fatal?['C']);

        // The Logout record is written as the connection closes, after the FATAL: polled with a deadline.
        await using var state = new NpgsqlConnection(fixture.Node.Settings.StateConnectionString);
        await state.OpenAsync();
        await using var command = new NpgsqlCommand(
            $"SELECT reason FROM orleansgate_audit WHERE kind = 'Logout' AND target = '{PolicyFixture.MissingDatabaseTarget}' ORDER BY seq DESC LIMIT 1", state);
        var waited = System.Diagnostics.Stopwatch.StartNew();
        string? reason;
        while ((reason = (string?)await command.ExecuteScalarAsync()) is null)
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(30), "no Logout record of the refused login 30 s after its FATAL");
        }

        Assert.StartsWith("login refused after the session opened: 08006", reason, StringComparison.Ordinal);
        Assert.Contains("no_such_database", reason, StringComparison.Ordinal);
    }

    /// <summary>Statement records of the audit matching <paramref name="where"/>, in order.</summary>
    internal static async Task<List<(string Kind, string Decision, string Rule, string Reason, string? Outcome, string Normalized, string SessionId)>> AuditRowsAsync(
        PolicyFixture fixture, string where)
    {
        await using var state = new NpgsqlConnection(fixture.Node.Settings.StateConnectionString);
        await state.OpenAsync();
        await using var command = new NpgsqlCommand(
            $"SELECT kind, decision, rule, reason, outcome, coalesce(statement_normalized, ''), session_id FROM orleansgate_audit WHERE kind = 'Statement' AND {where} ORDER BY seq", state);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(string, string, string, string, string?, string, string)>();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetString(5), reader.GetString(6)));
        }

        return rows;
    }

    private Task<List<(string Kind, string Decision, string Rule, string Reason, string? Outcome, string Normalized, string SessionId)>> AuditRowsAsync(string where) =>
        AuditRowsAsync(fixture, where);
}
