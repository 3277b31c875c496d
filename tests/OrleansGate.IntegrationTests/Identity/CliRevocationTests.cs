using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OrleansGate.Grains;
using OrleansGate.Host.Commands;
using OrleansGate.Host.Hosting;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.Postgres.Protocol;

namespace OrleansGate.IntegrationTests.Identity;

/// <summary>
/// Revocation through the operator's real CLI verbs (<c>agents show | revoke | unrevoke | revoke-token</c>) on a
/// cluster of two silos with sessions on two edge-only nodes. The one-second bound runs from the moment the agent
/// grain took the revocation in hand (its <c>LastRevocationAt</c>) to the clients' receipt of the FATAL; the CLI's
/// own start (connecting a cluster client) is not part of the gateway's promise.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class CliRevocationTests(GatewayFixture fixture, Xunit.Abstractions.ITestOutputHelper output)
{
    private IGrainFactory Grains => fixture.Node.Services.GetRequiredService<IGrainFactory>();

    [Fact]
    public async Task Cli_revoke_by_subject_closes_its_sessions_on_two_edges_within_a_second_then_show_and_unrevoke_work()
    {
        // Two silos (the collection's node and a silo-only node) and two edge-only nodes.
        await using var silo = await GatewayNode.StartAsync(fixture.Settings.OtherNode("cli-silo-2"), GatewayRole.Silo);
        var (edge1, edge2) = await StartTwoEdgesAsync("cli");
        await using var stop1 = edge1;
        await using var stop2 = edge2;
        var subject = $"agent-cli-{Guid.NewGuid():N}";
        var token = await ResignedToken.CreateAsync(fixture.Node, c => c["sub"] = subject);

        await using var on1 = await LoginAsync(edge1, subject, token);
        await using var on2 = await LoginAsync(edge2, subject, token);
        await using var bystander = await LoginAsync(edge1, GatewaySettings.AgentClientId, await fixture.Node.GetTokenAsync());

        // show, by subject alone: both sessions, each with its edge, token id and expiry.
        var shown = await CliAsync("agents", "show", subject);
        Assert.Contains($"{AgentKey(subject)}: active", shown, StringComparison.Ordinal);
        Assert.Contains("edge cli-edge-1", shown, StringComparison.Ordinal);
        Assert.Contains("edge cli-edge-2", shown, StringComparison.Ordinal);
        Assert.Equal(2, CountOf(shown, $"token {JwtId(token)} expires {Expires(token):O}"));

        var closing = Task.WhenAll(ReadStampedAsync(on1), ReadStampedAsync(on2));
        var revoked = await CliAsync("agents", "revoke", subject, "--reason", "cli revocation");
        Assert.Contains($"{AgentKey(subject)} revoked; 2 live sessions closed", revoked, StringComparison.Ordinal);

        var closed = await closing;
        foreach (var (fatal, _) in closed)
        {
            Assert.Equal("57P01", ErrorFields.Of(fatal, 'C'));
            Assert.Contains("agent revoked: cli revocation", ErrorFields.Of(fatal, 'M'), StringComparison.Ordinal);
        }

        AssertWithinASecond(await Grains.GetGrain<IAgentGrain>(AgentKey(subject)).GetStatus(), closed);

        // The other agent's session on the same edge carries on; a new login of the revoked one is refused.
        await bystander.SendAsync(w => FrontendWriter.Query(w, "SELECT 1"));
        Assert.Contains(await bystander.ReadUntilReadyAsync(), m => m.Code == 'D');
        await using (var refused = new NpgsqlConnection(edge2.ConnectionString(token, user: subject)))
        {
            var error = await Assert.ThrowsAsync<PostgresException>(() => refused.OpenAsync());
            Assert.Equal("28000", error.SqlState);
            Assert.Contains("agent revoked: cli revocation", error.MessageText, StringComparison.Ordinal);
        }

        Assert.Contains($"{AgentKey(subject)}: revoked (cli revocation)", await CliAsync("agents", "show", subject), StringComparison.Ordinal);

        Assert.Contains($"{AgentKey(subject)}: revocation lifted", await CliAsync("agents", "unrevoke", subject), StringComparison.Ordinal);
        await using var again = new NpgsqlConnection(edge1.ConnectionString(token, user: subject));
        await again.OpenAsync();
    }

    [Fact]
    public async Task Cli_revoke_token_closes_that_tokens_sessions_on_two_edges_within_a_second_and_spares_the_agents_other_token()
    {
        // Two silos (the collection's node and a silo-only node) and two edge-only nodes.
        await using var silo = await GatewayNode.StartAsync(fixture.Settings.OtherNode("cli-token-silo-2"), GatewayRole.Silo);
        var (edge1, edge2) = await StartTwoEdgesAsync("cli-token");
        await using var stop1 = edge1;
        await using var stop2 = edge2;
        var subject = $"agent-cli-token-{Guid.NewGuid():N}";
        var doomedToken = await ResignedToken.CreateAsync(fixture.Node, c => (c["sub"], c["jti"]) = (subject, Guid.NewGuid().ToString("N")));
        var otherToken = await ResignedToken.CreateAsync(fixture.Node, c => (c["sub"], c["jti"]) = (subject, Guid.NewGuid().ToString("N")));

        await using var doomed1 = await LoginAsync(edge1, subject, doomedToken);
        await using var doomed2 = await LoginAsync(edge2, subject, doomedToken);
        await using var sibling = await LoginAsync(edge2, subject, otherToken);

        var closing = Task.WhenAll(ReadStampedAsync(doomed1), ReadStampedAsync(doomed2));
        var printed = await CliAsync("agents", "revoke-token", JwtId(doomedToken));
        Assert.Contains($"token {JwtId(doomedToken)} of {AgentKey(subject)} revoked until", printed, StringComparison.Ordinal);
        Assert.Contains("2 live sessions closed", printed, StringComparison.Ordinal);

        var closed = await closing;
        Assert.All(closed, c => Assert.Equal("57P01", ErrorFields.Of(c.Message, 'C')));
        var status = await Grains.GetGrain<IAgentGrain>(AgentKey(subject)).GetStatus();
        AssertWithinASecond(status, closed);
        Assert.Equal([JwtId(doomedToken)], status.RevokedTokenIds);

        await sibling.SendAsync(w => FrontendWriter.Query(w, "SELECT 1"));
        Assert.Contains(await sibling.ReadUntilReadyAsync(), m => m.Code == 'D');
        await using var reuse = new NpgsqlConnection(edge1.ConnectionString(doomedToken, user: subject));
        var error = await Assert.ThrowsAsync<PostgresException>(() => reuse.OpenAsync());
        Assert.Equal("28000", error.SqlState);
        Assert.Equal("session refused: token revoked", error.MessageText);
    }

    [Fact]
    public async Task Cli_revoke_token_of_a_token_never_used_refuses_its_first_login_on_every_edge()
    {
        await using var edge = await GatewayNode.StartAsync(fixture.Settings.OtherNode("cli-leaked-edge"), GatewayRole.Edge);
        var subject = $"agent-leaked-{Guid.NewGuid():N}";
        var leaked = await ResignedToken.CreateAsync(fixture.Node, c => (c["sub"], c["jti"]) = (subject, Guid.NewGuid().ToString("N")));

        // One issuer is configured, so the token id alone is enough.
        var printed = await CliAsync("agents", "revoke-token", JwtId(leaked), "--reason", "leaked in a log");
        Assert.Contains($"token {JwtId(leaked)} of issuer {fixture.Settings.Issuer} revoked until", printed, StringComparison.Ordinal);
        Assert.Contains("it has not been used to log in", printed, StringComparison.Ordinal);

        foreach (var node in new[] { fixture.Node, edge })
        {
            await using var first = new NpgsqlConnection(node.ConnectionString(leaked, user: subject));
            var error = await Assert.ThrowsAsync<PostgresException>(() => first.OpenAsync());
            Assert.Equal("28000", error.SqlState);
            Assert.Equal("session refused: token revoked", error.MessageText);
        }

        // No agent grain knows the token, so the directory audited the revocation in its own chain.
        await using (var db = new NpgsqlConnection(fixture.Settings.StateConnectionString))
        {
            await db.OpenAsync();
            await using var audited = new NpgsqlCommand(
                "SELECT kind, issuer, subject, outcome, reason FROM orleansgate_audit WHERE session_id LIKE 'revocations:unused-tokens:shard-%' AND token_id = @jti", db);
            audited.Parameters.AddWithValue("jti", JwtId(leaked));
            await using var row = await audited.ExecuteReaderAsync();
            Assert.True(await row.ReadAsync(), "the revocation of the unused token was not audited");
            Assert.Equal((fixture.Settings.Issuer, "", "revoke-token", "leaked in a log"), (row.GetString(1), row.GetString(2), row.GetString(3), row.GetString(4)));
            Assert.False(await row.ReadAsync());
        }

        // Only that token: the agent itself is not revoked, and its next token logs in.
        var fresh = await ResignedToken.CreateAsync(fixture.Node, c => (c["sub"], c["jti"]) = (subject, Guid.NewGuid().ToString("N")));
        await using var admitted = new NpgsqlConnection(edge.ConnectionString(fresh, user: subject));
        await admitted.OpenAsync();
    }

    [Fact]
    public async Task Cli_revoke_token_refuses_a_jti_used_under_two_issuers_unless_one_is_named_and_then_revokes_only_that_issuers_token()
    {
        var subject = $"agent-shared-jti-{Guid.NewGuid():N}";
        var jti = Guid.NewGuid().ToString("N");
        var token = await ResignedToken.CreateAsync(fixture.Node, c => (c["sub"], c["jti"]) = (subject, jti));
        await using var session = await LoginAsync(fixture.Node, subject, token);

        // A second issuer's agent used the same jti (legal: a jti is unique only per issuer). No second IdP runs in this
        // fixture, so its login is recorded in the real directory grain the way the agent grain records every login.
        const string otherIssuer = "https://other-idp.example.test/oauth2/default";
        var otherAgent = $"{otherIssuer}|{subject}";
        var directory = new AgentDirectory(Grains);
        Assert.False(await directory.Record(otherAgent, otherIssuer, jti, DateTimeOffset.UtcNow.AddMinutes(10)));

        var ambiguous = await Assert.ThrowsAsync<CommandLineException>(() => CliAsync("agents", "revoke-token", jti));
        Assert.Contains("several issuers", ambiguous.Message, StringComparison.Ordinal);
        Assert.Contains(otherIssuer, ambiguous.Message, StringComparison.Ordinal);
        Assert.Contains(fixture.Settings.Issuer, ambiguous.Message, StringComparison.Ordinal);
        var unknown = await Assert.ThrowsAsync<CommandLineException>(() => CliAsync("agents", "revoke-token", jti, "--issuer", "https://typo.example.test"));
        Assert.Contains("neither configured", unknown.Message, StringComparison.Ordinal);

        // Nothing was revoked by the refused commands: the session is alive.
        await session.SendAsync(w => FrontendWriter.Query(w, "SELECT 1"));
        Assert.Contains(await session.ReadUntilReadyAsync(), m => m.Code == 'D');

        var closing = ReadStampedAsync(session);
        Assert.Contains("1 live sessions closed", await CliAsync("agents", "revoke-token", jti, "--issuer", fixture.Settings.Issuer), StringComparison.Ordinal);
        Assert.Equal("57P01", ErrorFields.Of((await closing).Message, 'C'));

        // The other issuer's token with the same id is untouched.
        Assert.False(await directory.Record(otherAgent, otherIssuer, jti, DateTimeOffset.UtcNow.AddMinutes(10)));
        Assert.Empty((await Grains.GetGrain<IAgentGrain>(otherAgent).GetStatus()).RevokedTokenIds);
        Assert.True(await directory.Record(AgentKey(subject), fixture.Settings.Issuer, jti, DateTimeOffset.UtcNow.AddMinutes(10)));
    }

    [Fact]
    public async Task Revocation_that_cannot_be_stored_still_closes_the_sessions_on_every_edge_then_reports_the_failure()
    {
        await using var edge = await GatewayNode.StartAsync(fixture.Settings.OtherNode("cli-store-fails-edge"), GatewayRole.Edge);
        var subject = $"agent-store-fails-{Guid.NewGuid():N}";
        var token = await ResignedToken.CreateAsync(fixture.Node, c => c["sub"] = subject);
        await using var onNode = await LoginAsync(fixture.Node, subject, token);
        await using var onEdge = await LoginAsync(edge, subject, token);

        // Another writer moves the stored version on behind the agent grain's back: its next write is refused by the real store.
        await using (var db = new NpgsqlConnection(fixture.Settings.StateConnectionString))
        {
            await db.OpenAsync();
            await using var bump = new NpgsqlCommand("UPDATE orleansgate_grain_state SET version = version + 1 WHERE grain_id_ext = @key", db);
            bump.Parameters.AddWithValue("key", AgentKey(subject));
            Assert.Equal(1, await bump.ExecuteNonQueryAsync());
        }

        var closing = Task.WhenAll(ReadStampedAsync(onNode), ReadStampedAsync(onEdge));
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => CliAsync("agents", "revoke", subject));

        Assert.Contains($"2 live sessions of {AgentKey(subject)} were closed, but the revocation could not be stored", failure.Message, StringComparison.Ordinal);
        Assert.Contains("repeat the command", failure.Message, StringComparison.Ordinal);
        foreach (var (fatal, _) in await closing)
        {
            Assert.Equal("57P01", ErrorFields.Of(fatal, 'C'));
            Assert.Contains("agent revoked", ErrorFields.Of(fatal, 'M'), StringComparison.Ordinal);
        }
    }

    private async Task<(GatewayNode First, GatewayNode Second)> StartTwoEdgesAsync(string prefix)
    {
        var first = await GatewayNode.StartAsync(fixture.Settings.OtherNode($"{prefix}-edge-1"), GatewayRole.Edge);
        try
        {
            return (first, await GatewayNode.StartAsync(fixture.Settings.OtherNode($"{prefix}-edge-2"), GatewayRole.Edge));
        }
        catch
        {
            await first.DisposeAsync();
            throw;
        }
    }

    private string AgentKey(string subject) => $"{fixture.Settings.Issuer}|{subject}";

    private async Task<string> CliAsync(params string[] args)
    {
        var printed = new StringWriter();
        Assert.Equal(0, await CommandLine.RunAsync(["--config", fixture.Settings.WriteConfigFile(), .. args], printed, TextWriter.Null, CancellationToken.None));
        output.WriteLine($"$ orleansgate {string.Join(' ', args)}{Environment.NewLine}{printed}");
        return printed.ToString();
    }

    private static async Task<RawPgClient> LoginAsync(GatewayNode edge, string user, string token)
    {
        var client = await RawPgClient.ConnectAsync(edge.Settings.PostgresPort);
        Assert.Equal('Z', (await client.LoginAsync(user, GatewaySettings.TargetName, token))[^1].Code);
        return client;
    }

    /// <summary>The next message (the FATAL) and when it arrived, by the same clock the grain stamps revocations with.</summary>
    private static async Task<((char Code, byte[] Payload) Message, DateTimeOffset At)> ReadStampedAsync(RawPgClient client)
    {
        var message = await client.ReadAsync();
        return (message, DateTimeOffset.UtcNow);
    }

    private void AssertWithinASecond(Model.AgentStatus status, IEnumerable<((char Code, byte[] Payload) Message, DateTimeOffset At)> closed)
    {
        var revokedAt = status.LastRevocationAt ?? throw new Xunit.Sdk.XunitException("the agent grain recorded no revocation time");
        var slowest = closed.Max(c => c.At) - revokedAt;
        output.WriteLine($"sessions closed {slowest.TotalMilliseconds:0.0} ms after the agent grain took the revocation");
        Assert.InRange(slowest, TimeSpan.Zero, TimeSpan.FromSeconds(1));
    }

    private static int CountOf(string text, string part) => (text.Length - text.Replace(part, "", StringComparison.Ordinal).Length) / part.Length;

    private static JsonElement Claims(string token)
    {
        var s = token.Split('.')[1].Replace('-', '+').Replace('_', '/');
        return JsonDocument.Parse(Convert.FromBase64String(s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '='))).RootElement;
    }

    private static string JwtId(string token) => Claims(token).GetProperty("jti").GetString()!;

    private static DateTimeOffset Expires(string token) => DateTimeOffset.FromUnixTimeSeconds(Claims(token).GetProperty("exp").GetInt64());
}
