using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OrleansGate.Grains;
using OrleansGate.Host.Commands;
using OrleansGate.Host.Hosting;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.IntegrationTests.Identity;
using OrleansGate.IntegrationTests.Infrastructure;
using OrleansGate.Postgres.Protocol;

namespace OrleansGate.IntegrationTests.Gateway;

/// <summary>
/// Ending a session ends its work: whatever ends it (revocation of the agent or of its token, the token's expiry, the
/// client vanishing, the node stopping), the statement it was running leaves the target's <c>pg_stat_activity</c>
/// within a second. Without the cancel the edge sends, a closed upstream socket leaves <c>pg_sleep(20)</c> running
/// for its full 20 s, so every test here fails at its bound.
/// </summary>
/// <remarks>
/// Each bound is measured from the event (the agent grain taking the revocation, the token's <c>exp</c>, the client's
/// socket dropped, the node told to stop) to the first poll of <see cref="TargetActivity"/> that no longer sees the
/// statement, so it includes the poll interval.
/// </remarks>
[Collection(GatewayCollection.Name)]
public sealed class SessionEndCancelTests(GatewayFixture fixture, Xunit.Abstractions.ITestOutputHelper output)
{
    private const string LongStatement = "SELECT pg_sleep(20)";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(1);

    /// <summary>How long a poll waits for the statement to leave before the test gives up (well past the bound, well short of 20 s).</summary>
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The node stops without drain time: a session with a statement running is ended at once, as at the end of a drain
    /// (GracefulDrainTests covers the drain itself).
    /// </summary>
    private static readonly Dictionary<string, string?> NoDrainTime = new() { ["OrleansGate:Drain:Timeout"] = "00:00:00" };

    private IGrainFactory Grains => fixture.Node.Services.GetRequiredService<IGrainFactory>();

    private string AgentKey(string subject) => $"{fixture.Settings.Issuer}|{subject}";

    [Fact]
    public async Task Revoked_session_s_running_statement_leaves_pg_stat_activity_within_1_s_and_spares_other_sessions()
    {
        var subject = $"agent-end-revoke-{Guid.NewGuid():N}";
        var token = await ResignedToken.CreateAsync(fixture.Node, c => c["sub"] = subject);
        await using var activity = await TargetActivity.OpenAsync(fixture.Postgres);
        await using var doomed = await OpenAsync(fixture.Node, subject, token);
        await using var idle = await OpenAsync(fixture.Node, subject, token);
        await using var bystander = await OpenAsync(fixture.Node, GatewaySettings.AgentClientId, await fixture.Node.GetTokenAsync());

        // Another agent's statement runs on the same target, through the same edge, throughout.
        var bystanderMarker = TargetActivity.NewMarker();
        var bystanderRun = RunAsync(bystander, $"SELECT pg_sleep(3) /* {bystanderMarker} */");
        var bystanderPid = await activity.WaitUntilRunningAsync(bystanderMarker, GiveUpAfter);
        var (run, pid, marker) = await StartLongStatementAsync(doomed, activity);

        var agent = Grains.GetGrain<IAgentGrain>(AgentKey(subject));
        var sessionIds = (await agent.GetStatus()).Sessions.Select(s => s.SessionId).ToList();
        var log = CapturedLog.Of(fixture.Node);
        var mark = log.Mark;
        var revokedAt = DateTimeOffset.UtcNow;
        Assert.Equal(2, await agent.Revoke("end-of-session test"));

        var gone = await activity.WaitUntilGoneAsync(pid, marker, GiveUpAfter);
        AssertWithinBound("agent revoked", revokedAt, gone);
        Assert.True(await activity.IsRunningAsync(bystanderPid, bystanderMarker), "the other agent's statement stopped when the revoked session's was cancelled");
        Assert.Equal("57P01", (await Assert.ThrowsAsync<PostgresException>(() => run)).SqlState);
        Assert.Null(await bystanderRun);

        // The busy session's close sent one cancel; the idle one's sent none (its target was waiting for a command).
        Assert.Single(log.Since(mark), e => e.Message.Contains("cancel sent to the target", StringComparison.Ordinal) && sessionIds.Any(e.Message.Contains));
        Assert.DoesNotContain(log.Since(mark), e => e.Message.Contains("could not be sent", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Token_revoked_by_cli_session_s_running_statement_leaves_pg_stat_activity_within_1_s()
    {
        var subject = $"agent-end-token-{Guid.NewGuid():N}";
        var jti = Guid.NewGuid().ToString("N");
        var token = await ResignedToken.CreateAsync(fixture.Node, c => (c["sub"], c["jti"]) = (subject, jti));
        await using var activity = await TargetActivity.OpenAsync(fixture.Postgres);
        await using var doomed = await OpenAsync(fixture.Node, subject, token);
        var (run, pid, marker) = await StartLongStatementAsync(doomed, activity);

        // The CLI's own start (a cluster client connecting) is not part of the bound: it runs from the moment the agent grain took the revocation.
        var printed = new StringWriter();
        Assert.Equal(0, await CommandLine.RunAsync(["--config", fixture.Settings.WriteConfigFile(), "agents", "revoke-token", jti], printed, TextWriter.Null, CancellationToken.None));
        Assert.Contains("1 live sessions closed", printed.ToString(), StringComparison.Ordinal);
        var revokedAt = (await Grains.GetGrain<IAgentGrain>(AgentKey(subject)).GetStatus()).LastRevocationAt
            ?? throw new Xunit.Sdk.XunitException("the agent grain recorded no revocation time");

        AssertWithinBound("token revoked", revokedAt, await activity.WaitUntilGoneAsync(pid, marker, GiveUpAfter));
        Assert.Equal("57P01", (await Assert.ThrowsAsync<PostgresException>(() => run)).SqlState);
    }

    [Fact]
    public async Task Expired_token_s_running_statement_leaves_pg_stat_activity_within_1_s_of_exp()
    {
        // The collection's node ends sessions at exp (TokenExpiryGrace 0). exp is whole seconds: 4 s leaves time to log in and start.
        var expires = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 4);
        var token = await ResignedToken.CreateAsync(fixture.Node, c =>
        {
            c["sub"] = $"agent-end-expiry-{Guid.NewGuid():N}";
            c["exp"] = expires.ToUnixTimeSeconds();
        });
        await using var activity = await TargetActivity.OpenAsync(fixture.Postgres);
        await using var doomed = await OpenAsync(fixture.Node, "agent-end-expiry", token);
        var (run, pid, marker) = await StartLongStatementAsync(doomed, activity);
        Assert.True(DateTimeOffset.UtcNow < expires, "the statement started only after the token's exp: the test proves nothing (machine too slow)");

        var error = await Assert.ThrowsAsync<PostgresException>(() => run);
        Assert.Equal("57P01", error.SqlState);
        Assert.Contains("token expired", error.MessageText, StringComparison.Ordinal);
        AssertWithinBound("token expired", expires, await activity.WaitUntilGoneAsync(pid, marker, GiveUpAfter));
    }

    [Fact]
    public async Task Psql_killed_mid_statement_its_statement_leaves_pg_stat_activity_within_1_s()
    {
        await using var activity = await TargetActivity.OpenAsync(fixture.Postgres);
        var marker = TargetActivity.NewMarker();
        using var kill = new CancellationTokenSource();

        // A real psql; cancelling its run kills it with SIGKILL, so it cannot send a cancel or Terminate of its own:
        // the kernel closes its socket (FIN) and the edge sees the client vanish mid-statement.
        var psql = ExternalCommand.RunAsync(
            "psql",
            ["-h", "127.0.0.1", "-p", fixture.Settings.PostgresPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
             "-U", GatewaySettings.AgentClientId, "-d", GatewaySettings.TargetName, "-X", "-c", $"{LongStatement} /* {marker} */"],
            TimeSpan.FromSeconds(60),
            kill.Token,
            environment: new Dictionary<string, string> { ["PGPASSWORD"] = await fixture.Node.GetTokenAsync(), ["PGCONNECT_TIMEOUT"] = "15" });
        var pid = await WaitUntilRunningOrFailedAsync(activity, marker, psql);

        var killedAt = DateTimeOffset.UtcNow;
        await kill.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => psql);
        AssertWithinBound("psql killed", killedAt, await activity.WaitUntilGoneAsync(pid, marker, GiveUpAfter));
    }

    [Fact]
    public async Task Client_connection_reset_mid_statement_its_statement_leaves_pg_stat_activity_within_1_s()
    {
        await using var activity = await TargetActivity.OpenAsync(fixture.Postgres);
        await using var client = await RawPgClient.ConnectAsync(fixture.Node.Settings.PostgresPort);
        Assert.Equal('Z', (await client.LoginAsync(GatewaySettings.AgentClientId, GatewaySettings.TargetName, await fixture.Node.GetTokenAsync()))[^1].Code);
        var marker = TargetActivity.NewMarker();
        await client.SendAsync(w => FrontendWriter.Query(w, $"{LongStatement} /* {marker} */"));
        var pid = await activity.WaitUntilRunningAsync(marker, GiveUpAfter);

        var resetAt = DateTimeOffset.UtcNow;
        client.Reset();
        AssertWithinBound("client connection reset", resetAt, await activity.WaitUntilGoneAsync(pid, marker, GiveUpAfter));
    }

    [Fact]
    public async Task Stopping_the_edge_node_ends_its_sessions_and_their_running_statements_leave_pg_stat_activity_within_1_s()
    {
        var edge = await GatewayNode.StartAsync(fixture.Settings.OtherNode("edge-end-stop", NoDrainTime), GatewayRole.Edge);
        await using var stopEdge = edge;
        await using var activity = await TargetActivity.OpenAsync(fixture.Postgres);
        await using var doomed = await OpenAsync(edge, GatewaySettings.AgentClientId, await fixture.Node.GetTokenAsync());
        var (run, pid, marker) = await StartLongStatementAsync(doomed, activity);
        var log = CapturedLog.Of(edge);
        var mark = log.Mark;

        var stoppedAt = DateTimeOffset.UtcNow;
        var stopping = edge.StopAsync();
        AssertWithinBound("edge node stopped", stoppedAt, await activity.WaitUntilGoneAsync(pid, marker, GiveUpAfter));

        var error = await Assert.ThrowsAsync<PostgresException>(() => run);
        Assert.Equal("57P01", error.SqlState);
        Assert.Contains("shutting down", error.MessageText, StringComparison.Ordinal);

        // The host did not have to wait out its shutdown timeout (30 s) for the session to end, and the session ended
        // while the cluster client was still up to take its logout.
        await stopping.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.DoesNotContain(log.Since(mark), e => e.Message.Contains("closing its grains failed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Sigterm_to_an_edge_process_ends_its_sessions_and_their_running_statements_leave_pg_stat_activity_within_1_s()
    {
        using var edge = await NodeProcess.StartAsync(fixture.Settings.OtherNode("edge-end-sigterm", NoDrainTime), GatewayRole.Edge);
        await using var activity = await TargetActivity.OpenAsync(fixture.Postgres);
        await using var doomed = new NpgsqlConnection(edge.Settings.ConnectionString(await fixture.Node.GetTokenAsync()));
        await doomed.OpenAsync();
        var (run, pid, marker) = await StartLongStatementAsync(doomed, activity);

        var signalledAt = DateTimeOffset.UtcNow;
        await edge.SignalAsync("TERM");
        AssertWithinBound("SIGTERM to the edge process", signalledAt, await activity.WaitUntilGoneAsync(pid, marker, GiveUpAfter));

        var error = await Assert.ThrowsAsync<PostgresException>(() => run);
        Assert.Equal("57P01", error.SqlState);
        Assert.Contains("shutting down", error.MessageText, StringComparison.Ordinal);
        Assert.True(await edge.WaitForExitAsync(TimeSpan.FromSeconds(15)), $"the edge process did not exit within 15 s of SIGTERM:{Environment.NewLine}{edge.OutputTail}");
    }

    private static async Task<NpgsqlConnection> OpenAsync(GatewayNode edge, string user, string token)
    {
        var connection = new NpgsqlConnection(edge.ConnectionString(token, user: user));
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>Starts <see cref="LongStatement"/> through the gateway and waits until the target runs it.</summary>
    private static async Task<(Task Run, int Pid, string Marker)> StartLongStatementAsync(NpgsqlConnection connection, TargetActivity activity)
    {
        var marker = TargetActivity.NewMarker();
        var run = RunAsync(connection, $"{LongStatement} /* {marker} */");
        var pid = await WaitUntilRunningOrFailedAsync(activity, marker, run);
        return (run, pid, marker);
    }

    /// <summary>Runs a statement; the task fails as the statement does, or yields null.</summary>
    private static async Task<Exception?> RunAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteScalarAsync();
        return null;
    }

    /// <summary>Waits until the target runs the marked statement, failing early with the client's own error if the client's run ended first.</summary>
    private static async Task<int> WaitUntilRunningOrFailedAsync(TargetActivity activity, string marker, Task run)
    {
        var running = activity.WaitUntilRunningAsync(marker, GiveUpAfter);
        if (await Task.WhenAny(running, run) == run)
        {
            await run; // throws the client's error
            throw new Xunit.Sdk.XunitException("the statement finished before the target was seen running it");
        }

        return await running;
    }

    private void AssertWithinBound(string what, DateTimeOffset eventAt, DateTimeOffset? goneAt)
    {
        Assert.True(goneAt is not null, $"{what}: the statement was still running on the target {GiveUpAfter.TotalSeconds:0} s later");
        var elapsed = goneAt.Value - eventAt;
        output.WriteLine($"{what}: the statement left the target's pg_stat_activity {elapsed.TotalMilliseconds:0} ms after the event (poll interval {TargetActivity.PollInterval.TotalMilliseconds:0} ms)");
        Assert.InRange(elapsed, TimeSpan.Zero - TargetActivity.PollInterval, Bound);
    }
}
