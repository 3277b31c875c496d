using System.Text.RegularExpressions;
using Npgsql;
using OrleansGate.Host.Commands;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.IntegrationTests.Infrastructure;

namespace OrleansGate.IntegrationTests.Approvals;

/// <summary>
/// The approve effect through real clients (Npgsql, psql) and the approvers' API and CLI, on two nodes of one cluster:
/// what the agent sees while it waits, and after approval, denial, expiry and cancel.
/// </summary>
[Collection(ApprovalCollection.Name)]
public sealed partial class ApprovalTests(ApprovalFixture fixture)
{
    [GeneratedRegex("apr-[0-9a-f]{20}")]
    private static partial Regex ApprovalId();

    private Task<string> TokenAsync(string client) => fixture.Node.GetTokenAsync(client);

    private async Task<int> CliAsync(GatewayNode node, string approver, params string[] args)
    {
        var tokenFile = Path.Combine(Directory.CreateTempSubdirectory("approver-").FullName, "token");
        await File.WriteAllTextAsync(tokenFile, await TokenAsync(approver));
        try
        {
            return await CommandLine.RunAsync(
                ["approvals", .. args, "--url", $"http://127.0.0.1:{node.Settings.HttpPort}", "--token-file", tokenFile], TextWriter.Null, TextWriter.Null, CancellationToken.None);
        }
        finally
        {
            File.Delete(tokenFile);
        }
    }

    [Fact]
    public async Task Wait_mode_approved_by_the_cli_on_another_node_gives_the_statement_s_real_result()
    {
        await using var agent = await WaitingAgent.OpenAsync(fixture.Node, GatewaySettings.AgentClientId);
        var running = agent.ExecuteAsync("UPDATE items SET note = 'approved-by-cli' WHERE id = 1");
        var id = await agent.Waiting;
        Assert.Contains("rule \"orders-wait\"", agent.NoticeText, StringComparison.Ordinal);
        Assert.Contains($"orleansgate approvals approve {id}", agent.NoticeText, StringComparison.Ordinal);
        Assert.Contains($"/approvals/{id}", agent.NoticeText, StringComparison.Ordinal);
        Assert.False(running.IsCompleted);
        Assert.Equal("new", await fixture.NoteAsync(1));

        Assert.Equal(0, await CliAsync(fixture.Other, "bob", "approve", id, "--comment", "looks right"));

        Assert.Equal(1, await running);
        Assert.Equal("approved-by-cli", await fixture.NoteAsync(1));

        // The session goes on as before.
        await using var next = new NpgsqlCommand("SELECT count(*) FROM items", agent.Connection);
        Assert.Equal(100L, (long)(await next.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task Statements_pipelined_after_a_held_one_wait_behind_it_and_run_in_order_once_it_is_approved()
    {
        await using var agent = await WaitingAgent.OpenAsync(fixture.Node, GatewaySettings.AgentClientId);
        await using var batch = new NpgsqlBatch(agent.Connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("UPDATE items SET note = 'batched' WHERE id = 14"),
                new NpgsqlBatchCommand("SELECT note FROM items WHERE id = 14"),
            },
        };
        var reading = batch.ExecuteReaderAsync();
        var id = await agent.Waiting;
        Assert.False(reading.IsCompleted);

        Assert.Equal(200, (await fixture.CallAsync(fixture.Node, HttpMethod.Post, $"/api/approvals/{id}/approve", await TokenAsync("bob"))).Status);

        // Npgsql positions the reader on the first result with rows: the SELECT's.
        await using var reader = await reading;
        Assert.True(await reader.ReadAsync());
        Assert.Equal("batched", reader.GetString(0)); // the SELECT ran after the UPDATE it waited behind
        Assert.Equal(1, batch.BatchCommands[0].RecordsAffected);
    }

    [Fact]
    public async Task Denied_request_gets_42501_naming_the_approval_the_decision_and_the_comment()
    {
        await using var agent = await WaitingAgent.OpenAsync(fixture.Node, GatewaySettings.AgentClientId);
        var running = agent.ExecuteAsync("UPDATE items SET note = 'denied' WHERE id = 2");
        var id = await agent.Waiting;

        var (status, _) = await fixture.CallAsync(fixture.Other, HttpMethod.Post, $"/api/approvals/{id}/deny", await TokenAsync("carol"), new { comment = "not during the freeze" });
        Assert.Equal(200, status);

        var error = await Assert.ThrowsAsync<PostgresException>(() => running);
        Assert.Equal("42501", error.SqlState);
        Assert.Contains(id, error.MessageText, StringComparison.Ordinal);
        Assert.Contains("denied by carol: not during the freeze", error.MessageText, StringComparison.Ordinal);
        Assert.Equal("new", await fixture.NoteAsync(2));
    }

    [Fact]
    public async Task Request_nobody_decides_expires_with_42501()
    {
        await using var agent = await WaitingAgent.OpenAsync(fixture.Node, GatewaySettings.OtherClientId);
        var running = agent.ExecuteAsync("UPDATE items SET note = 'expired' WHERE id = 3");
        var id = await agent.Waiting;

        var error = await Assert.ThrowsAsync<PostgresException>(() => running);
        Assert.Equal("42501", error.SqlState);
        Assert.Contains($"approval {id} expired", error.MessageText, StringComparison.Ordinal);
        Assert.Equal("new", await fixture.NoteAsync(3));

        var (status, body) = await fixture.CallAsync(fixture.Node, HttpMethod.Post, $"/api/approvals/{id}/approve", await TokenAsync("bob"));
        Assert.Equal(409, status);
        Assert.Contains("expired", body.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancel_withdraws_a_waiting_request_with_57014_and_the_session_stays_usable()
    {
        await using var agent = await WaitingAgent.OpenAsync(fixture.Node, GatewaySettings.AgentClientId);
        await using var command = new NpgsqlCommand("UPDATE items SET note = 'cancelled' WHERE id = 4", agent.Connection);
        var running = command.ExecuteNonQueryAsync();
        var id = await agent.Waiting;

        command.Cancel();

        // Npgsql reports a cancelled command as it does against PostgreSQL itself: cancelled, with the server's 57014 inside.
        var cancelled = await Assert.ThrowsAsync<OperationCanceledException>(() => running);
        var error = Assert.IsType<PostgresException>(cancelled.InnerException);
        Assert.Equal("57014", error.SqlState);
        Assert.Contains(id, error.MessageText, StringComparison.Ordinal);
        var (_, approval) = await fixture.CallAsync(fixture.Node, HttpMethod.Get, $"/api/approvals/{id}", await TokenAsync("bob"));
        Assert.Equal("withdrawn", approval.GetProperty("status").GetString());

        await using var next = new NpgsqlCommand("SELECT note FROM items WHERE id = 4", agent.Connection);
        Assert.Equal("new", (string)(await next.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task Retry_mode_refuses_at_once_then_runs_once_approved_and_reuses_within_the_window_only()
    {
        await using var agent = await WaitingAgent.OpenAsync(fixture.Node, GatewaySettings.RevocableClientId);
        const string Sql = "UPDATE items SET note = note || '+r' WHERE id = 5";

        var first = await Assert.ThrowsAsync<PostgresException>(() => agent.ExecuteAsync(Sql));
        Assert.Equal("42501", first.SqlState);
        var id = ApprovalId().Match(first.MessageText).Value;
        Assert.Contains("send the same statement again once it is approved", first.MessageText, StringComparison.Ordinal);

        // Sent again before the decision: the same approval, still pending.
        var again = await Assert.ThrowsAsync<PostgresException>(() => agent.ExecuteAsync(Sql));
        Assert.Contains(id, again.MessageText, StringComparison.Ordinal);

        var (status, _) = await fixture.CallAsync(fixture.Node, HttpMethod.Post, $"/api/approvals/{id}/approve", await TokenAsync("alice"), new { comment = "ok", reuse = "3s" });
        Assert.Equal(200, status);

        Assert.Equal(1, await agent.ExecuteAsync(Sql));
        Assert.Equal(1, await agent.ExecuteAsync(Sql)); // within the window granted
        Assert.Equal("new+r+r", await fixture.NoteAsync(5));

        // Another text is not covered by an exact reuse.
        var other = await Assert.ThrowsAsync<PostgresException>(() => agent.ExecuteAsync("UPDATE items SET note = note || '+r' WHERE id = 6"));
        Assert.DoesNotContain(id, other.MessageText, StringComparison.Ordinal);

        // After the window, the same text asks again.
        string? after = null;
        await Poll.UntilAsync(async () =>
        {
            try
            {
                await agent.ExecuteAsync(Sql);
                return false;
            }
            catch (PostgresException e) when (e.SqlState == "42501")
            {
                after = e.MessageText;
                return true;
            }
        }, "the reuse window never ended", seconds: 30);
        Assert.DoesNotContain(id, after, StringComparison.Ordinal);
        Assert.Matches(ApprovalId(), after!);
    }

    [Fact]
    public async Task Two_of_three_approvers_are_needed_and_the_agent_cannot_approve_its_own_request()
    {
        await using var agent = await WaitingAgent.OpenAsync(fixture.Node, "alice");
        var running = agent.ExecuteAsync("UPDATE items SET note = 'two' WHERE id = 7");
        var id = await agent.Waiting;

        var (self, selfBody) = await fixture.CallAsync(fixture.Node, HttpMethod.Post, $"/api/approvals/{id}/approve", await TokenAsync("alice"));
        Assert.Equal(403, self);
        Assert.Equal("self_approval", selfBody.GetProperty("outcome").GetString());

        var (first, firstBody) = await fixture.CallAsync(fixture.Other, HttpMethod.Post, $"/api/approvals/{id}/approve", await TokenAsync("bob"));
        Assert.Equal(200, first);
        Assert.Equal("counted", firstBody.GetProperty("outcome").GetString());
        var (twice, _) = await fixture.CallAsync(fixture.Node, HttpMethod.Post, $"/api/approvals/{id}/approve", await TokenAsync("bob"));
        Assert.Equal(409, twice);
        Assert.False(running.IsCompleted);

        var (second, secondBody) = await fixture.CallAsync(fixture.Node, HttpMethod.Post, $"/api/approvals/{id}/approve", await TokenAsync("carol"));
        Assert.Equal(200, second);
        Assert.Equal("decided", secondBody.GetProperty("outcome").GetString());
        Assert.Equal(1, await running);
        Assert.Equal("two", await fixture.NoteAsync(7));
    }

    [Fact]
    public async Task Api_refuses_no_token_an_untrusted_issuer_and_a_non_approver_with_a_clear_error_and_nothing_changes()
    {
        await using var agent = await WaitingAgent.OpenAsync(fixture.Node, GatewaySettings.AgentClientId);
        var running = agent.ExecuteAsync("UPDATE items SET note = 'refusals' WHERE id = 13");
        var id = await agent.Waiting;
        var path = $"/api/approvals/{id}/approve";

        var (none, noneBody) = await fixture.CallAsync(fixture.Node, HttpMethod.Post, path, token: null);
        Assert.Equal(401, none);
        Assert.Contains("Bearer token is required", noneBody.GetProperty("message").GetString(), StringComparison.Ordinal);

        var (untrusted, untrustedBody) = await fixture.CallAsync(fixture.Node, HttpMethod.Post, path, UntrustedToken());
        Assert.Equal(401, untrusted);
        Assert.Contains("unknown issuer", untrustedBody.GetProperty("message").GetString(), StringComparison.Ordinal);

        var dave = await TokenAsync(GatewaySettings.NonApprover);
        var (outsider, outsiderBody) = await fixture.CallAsync(fixture.Other, HttpMethod.Post, path, dave);
        Assert.Equal(403, outsider);
        Assert.Equal("not_an_approver", outsiderBody.GetProperty("outcome").GetString());
        Assert.False(outsiderBody.TryGetProperty("approval", out _)); // nothing of it is shown to a non-approver
        Assert.Equal(403, (await fixture.CallAsync(fixture.Node, HttpMethod.Get, $"/api/approvals/{id}", dave)).Status);
        Assert.Empty((await fixture.CallAsync(fixture.Node, HttpMethod.Get, "/api/approvals", dave)).Body.GetProperty("approvals").EnumerateArray());
        Assert.Equal(400, (await fixture.CallAsync(fixture.Node, HttpMethod.Post, "/api/approvals/not-an-id/approve", dave)).Status);

        var (_, after) = await fixture.CallAsync(fixture.Node, HttpMethod.Get, $"/api/approvals/{id}", await TokenAsync("bob"));
        Assert.Equal("pending", after.GetProperty("status").GetString());
        Assert.Equal(0, after.GetProperty("votes").GetArrayLength());
        Assert.False(running.IsCompleted);

        Assert.Equal(200, (await fixture.CallAsync(fixture.Node, HttpMethod.Post, $"/api/approvals/{id}/deny", await TokenAsync("bob"))).Status);
        await Assert.ThrowsAsync<PostgresException>(() => running);
        var (decided, decidedBody) = await fixture.CallAsync(fixture.Node, HttpMethod.Post, path, await TokenAsync("carol"));
        Assert.Equal(409, decided);
        Assert.Contains("already denied", decidedBody.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    /// <summary>A well-formed RS256 token from an issuer the gateway does not trust, signed by a key of its own.</summary>
    private static string UntrustedToken()
    {
        using var key = System.Security.Cryptography.RSA.Create(2048);
        static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = B64(System.Text.Encoding.UTF8.GetBytes("""{"alg":"RS256","typ":"JWT","kid":"k1"}"""));
        var payload = B64(System.Text.Encoding.UTF8.GetBytes(
            $$"""{"iss":"https://untrusted.example/oauth2/default","sub":"mallory","aud":"api://orleansgate","iat":{{now}},"exp":{{now + 300}},"groups":["dba"]}"""));
        var signature = key.SignData(System.Text.Encoding.ASCII.GetBytes($"{header}.{payload}"), System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
        return $"{header}.{payload}.{B64(signature)}";
    }

    [Fact]
    public async Task Two_approvers_racing_on_two_nodes_make_one_decision()
    {
        await using var agent = await WaitingAgent.OpenAsync(fixture.Node, GatewaySettings.AgentClientId);
        var running = agent.ExecuteAsync("UPDATE items SET note = 'raced' WHERE id = 8");
        var id = await agent.Waiting;
        var bob = await TokenAsync("bob");
        var carol = await TokenAsync("carol");

        var votes = await Task.WhenAll(
            fixture.CallAsync(fixture.Node, HttpMethod.Post, $"/api/approvals/{id}/approve", bob),
            fixture.CallAsync(fixture.Other, HttpMethod.Post, $"/api/approvals/{id}/deny", carol));

        Assert.Single(votes, v => v.Status == 200);
        var loser = Assert.Single(votes, v => v.Status == 409);
        Assert.Equal("already_decided", loser.Body.GetProperty("outcome").GetString());
        var (_, approval) = await fixture.CallAsync(fixture.Node, HttpMethod.Get, $"/api/approvals/{id}", bob);
        Assert.Equal(1, approval.GetProperty("votes").GetArrayLength());
        if (votes[0].Status == 200)
        {
            Assert.Equal(1, await running);
        }
        else
        {
            Assert.Equal("42501", (await Assert.ThrowsAsync<PostgresException>(() => running)).SqlState);
        }
    }

    [Fact]
    public async Task Audit_records_the_request_each_vote_and_the_decision_and_the_executed_statement_names_its_approval_and_approvers()
    {
        await using var agent = await WaitingAgent.OpenAsync(fixture.Node, "alice");
        var running = agent.ExecuteAsync("UPDATE items SET note = 'audited' WHERE id = 11");
        var id = await agent.Waiting;
        Assert.Equal(200, (await fixture.CallAsync(fixture.Node, HttpMethod.Post, $"/api/approvals/{id}/approve", await TokenAsync("bob"), new { comment = "first" })).Status);
        Assert.Equal(200, (await fixture.CallAsync(fixture.Other, HttpMethod.Post, $"/api/approvals/{id}/approve", await TokenAsync("carol"))).Status);
        Assert.Equal(1, await running);

        var rows = new List<(string Kind, string? Outcome, string? Approver, string? Statement, string Session)>();
        await using (var connection = new NpgsqlConnection(fixture.Node.Settings.StateConnectionString))
        {
            await connection.OpenAsync();
            await using var query = new NpgsqlCommand(
                "SELECT kind, outcome, approver, statement_normalized, session_id FROM orleansgate_audit WHERE approval_id = @id ORDER BY seq", connection);
            query.Parameters.AddWithValue("id", id);
            await using var reader = await query.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows.Add((reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                    reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetString(4)));
            }
        }

        // The approval's own chain: requested, two votes, the decision; the session's: the statement that ran.
        Assert.Equal(
            [("ApprovalRequested", "requested", null), ("ApprovalVote", "approve", "bob"), ("ApprovalVote", "approve", "carol"), ("ApprovalDecision", "approved", "bob,carol")],
            rows.Where(r => r.Session == $"approval:{id}").Select(r => (r.Kind, r.Outcome, r.Approver)));
        var executed = Assert.Single(rows, r => r.Kind == "Statement");
        Assert.Equal("bob,carol", executed.Approver);

        // Only the normalised text is stored, never the literal the approvers saw.
        Assert.All(rows, r => Assert.DoesNotContain("audited", r.Statement ?? "", StringComparison.Ordinal));

        await using var source = NpgsqlDataSource.Create(fixture.Node.Settings.StateConnectionString);
        var report = await new OrleansGate.Audit.Verify.AuditVerifier(source).VerifyAsync(
            OrleansGate.Audit.Signing.AuditKeys.LoadTrusted(TestAuditKeys.SharedPublic), [], CancellationToken.None);
        Assert.True(report.Ok, string.Join("\n", report.Problems));
    }

    [Fact]
    public async Task Metrics_count_pending_approvals_decisions_by_outcome_and_time_to_decision()
    {
        var measured = new System.Collections.Concurrent.ConcurrentQueue<(string Instrument, double Value, string? Outcome)>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == OrleansGate.Grains.Approvals.ApprovalTelemetry.Name)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        void Record(System.Diagnostics.Metrics.Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            string? rule = null, outcome = null;
            foreach (var tag in tags)
            {
                rule = tag.Key == "rule" ? tag.Value as string : rule;
                outcome = tag.Key == "outcome" ? tag.Value as string : outcome;
            }

            if (rule == "orders-wait")
            {
                measured.Enqueue((instrument.Name, value, outcome));
            }
        }

        listener.SetMeasurementEventCallback<long>((i, v, t, _) => Record(i, v, t));
        listener.SetMeasurementEventCallback<double>((i, v, t, _) => Record(i, v, t));
        listener.Start();

        await using var agent = await WaitingAgent.OpenAsync(fixture.Node, GatewaySettings.AgentClientId);
        var running = agent.ExecuteAsync("UPDATE items SET note = 'metered' WHERE id = 12");
        var id = await agent.Waiting;
        Assert.Contains(measured, m => m == ("orleansgate.approvals.pending", 1, null));
        Assert.Equal(200, (await fixture.CallAsync(fixture.Node, HttpMethod.Post, $"/api/approvals/{id}/deny", await TokenAsync("bob"))).Status);
        await Assert.ThrowsAsync<PostgresException>(() => running);

        Assert.Contains(measured, m => m == ("orleansgate.approvals.pending", -1, null));
        Assert.Contains(measured, m => m == ("orleansgate.approvals.decisions", 1, "denied"));
        Assert.Contains(measured, m => m.Instrument == "orleansgate.approvals.time_to_decision" && m.Outcome == "denied" && m.Value > 0);
    }

    [Fact]
    public async Task Psql_waits_with_a_notice_and_prints_the_result_once_approved()
    {
        var settings = fixture.Node.Settings;
        var psql = ExternalCommand.RunAsync(
            "psql",
            [$"host=127.0.0.1 port={settings.PostgresPort} dbname={GatewaySettings.TargetName} user={GatewaySettings.AgentClientId} sslmode=disable",
             "-X", "-v", "ON_ERROR_STOP=1", "-c", "UPDATE items SET note = 'via-psql' WHERE id = 9"],
            TimeSpan.FromSeconds(60),
            environment: new Dictionary<string, string> { ["PGPASSWORD"] = await TokenAsync(GatewaySettings.AgentClientId), ["PGCONNECT_TIMEOUT"] = "15" });
        var bob = await TokenAsync("bob");
        string? id = null;
        await Poll.UntilAsync(async () =>
        {
            var (_, list) = await fixture.CallAsync(fixture.Node, HttpMethod.Get, "/api/approvals", bob);
            var match = list.GetProperty("approvals").EnumerateArray()
                .FirstOrDefault(a => a.GetProperty("statement").GetString() == "UPDATE items SET note = 'via-psql' WHERE id = 9");
            id = match.ValueKind == System.Text.Json.JsonValueKind.Object ? match.GetProperty("id").GetString() : null;
            return id is not null;
        }, "psql's statement never appeared among the pending approvals");

        Assert.Equal(200, (await fixture.CallAsync(fixture.Other, HttpMethod.Post, $"/api/approvals/{id}/approve", bob)).Status);

        var result = await psql;
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("UPDATE 1", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains($"NOTICE:  statement waits for approval {id}", result.StandardError, StringComparison.Ordinal);
        Assert.Equal("via-psql", await fixture.NoteAsync(9));
    }

    [Fact]
    public async Task A_statement_waiting_in_a_transaction_is_ended_cleanly_by_the_target_s_idle_in_transaction_timeout()
    {
        await using var agent = await WaitingAgent.OpenAsync(fixture.Node, GatewaySettings.AgentClientId);
        await agent.ExecuteAsync("SET idle_in_transaction_session_timeout = '1s'");
        await using var tx = await agent.Connection.BeginTransactionAsync();
        await using var command = new NpgsqlCommand("UPDATE items SET note = 'in-tx' WHERE id = 10", agent.Connection, tx);
        var running = command.ExecuteNonQueryAsync();
        await agent.Waiting;

        var error = await Assert.ThrowsAnyAsync<NpgsqlException>(() => running);
        Assert.Equal("25P03", (error as PostgresException)?.SqlState ?? (error.InnerException as PostgresException)?.SqlState);
        Assert.Equal("new", await fixture.NoteAsync(10));

        // The node carries on: a new session works.
        await using var next = await WaitingAgent.OpenAsync(fixture.Node, GatewaySettings.AgentClientId);
        await using var read = new NpgsqlCommand("SELECT count(*) FROM items", next.Connection);
        Assert.Equal(100L, (long)(await read.ExecuteScalarAsync())!);
    }
}
