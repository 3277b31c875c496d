using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OrleansGate.Grains;
using OrleansGate.Host.Commands;
using OrleansGate.Host.Hosting;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.Postgres.Protocol;

namespace OrleansGate.IntegrationTests.Identity;

/// <summary>Revocation takes effect cluster-wide: every edge holding a session of the agent closes it.</summary>
[Collection(GatewayCollection.Name)]
public sealed class RevocationTests(GatewayFixture fixture, Xunit.Abstractions.ITestOutputHelper output)
{
    private string AgentKey(string clientId) => $"{fixture.Settings.Issuer}|{clientId}";

    private async Task<RawPgClient> LoginAsync(GatewayNode edge, string clientId)
    {
        var client = await RawPgClient.ConnectAsync(edge.Settings.PostgresPort);
        var login = await client.LoginAsync(clientId, GatewaySettings.TargetName, await fixture.Node.GetTokenAsync(clientId));
        Assert.Equal('Z', login[^1].Code);
        return client;
    }

    [Fact]
    public async Task Revoking_an_agent_closes_its_sessions_on_every_edge_within_a_second_and_spares_other_agents()
    {
        // Two silos (the collection's node and a silo-only node) and two edge-only nodes.
        await using var silo = await GatewayNode.StartAsync(fixture.Settings.OtherNode("silo-2"), GatewayRole.Silo);
        await using var edge1 = await GatewayNode.StartAsync(fixture.Settings.OtherNode("edge-1"), GatewayRole.Edge);
        await using var edge2 = await GatewayNode.StartAsync(fixture.Settings.OtherNode("edge-2"), GatewayRole.Edge);

        await using var revokedOn1 = await LoginAsync(edge1, GatewaySettings.RevocableClientId);
        await using var revokedOn2 = await LoginAsync(edge2, GatewaySettings.RevocableClientId);
        await using var bystander = await LoginAsync(edge1, GatewaySettings.AgentClientId);

        var agent = fixture.Node.Services.GetRequiredService<IGrainFactory>().GetGrain<IAgentGrain>(AgentKey(GatewaySettings.RevocableClientId));
        try
        {
            var clock = Stopwatch.StartNew();
            Assert.Equal(2, await agent.Revoke("test revocation"));
            var closed = await Task.WhenAll(revokedOn1.ReadAsync(), revokedOn2.ReadAsync());
            var elapsed = clock.Elapsed;
            output.WriteLine($"revocation: both sessions closed {elapsed.TotalMilliseconds:0.0} ms after Revoke was called");

            foreach (var fatal in closed)
            {
                Assert.Equal('E', fatal.Code);
                Assert.Equal("57P01", ErrorFields.Of(fatal, 'C'));
                Assert.Contains("agent revoked: test revocation", ErrorFields.Of(fatal, 'M'), StringComparison.Ordinal);
            }

            Assert.True(elapsed < TimeSpan.FromSeconds(1), $"sessions closed after {elapsed.TotalMilliseconds:0} ms");
            Assert.Equal('\0', (await revokedOn1.ReadAsync()).Code);
            Assert.Equal('\0', (await revokedOn2.ReadAsync()).Code);

            // The other agent's session on the same edge carries on.
            await bystander.SendAsync(w => FrontendWriter.Query(w, "SELECT 1"));
            Assert.Contains(await bystander.ReadUntilReadyAsync(), m => m.Code == 'D');

            // New logins are refused until the revocation is lifted.
            await using (var refused = new NpgsqlConnection(edge2.ConnectionString(await fixture.Node.GetTokenAsync(GatewaySettings.RevocableClientId), user: GatewaySettings.RevocableClientId)))
            {
                var error = await Assert.ThrowsAsync<PostgresException>(() => refused.OpenAsync());
                Assert.Equal("28000", error.SqlState);
                Assert.Contains("agent revoked", error.MessageText, StringComparison.Ordinal);
            }
        }
        finally
        {
            await agent.Unrevoke();
        }

        await using var again = new NpgsqlConnection(edge1.ConnectionString(await fixture.Node.GetTokenAsync(GatewaySettings.RevocableClientId), user: GatewaySettings.RevocableClientId));
        await again.OpenAsync();
    }

    [Fact]
    public async Task Revoking_after_the_silo_hosting_the_agent_grain_stopped_closes_its_sessions_on_surviving_edges_within_a_second()
    {
        var silo = await GatewayNode.StartAsync(fixture.Settings.OtherNode("silo-doomed"), GatewayRole.Silo);
        var siloStopped = false;
        try
        {
            await using var edge = await GatewayNode.StartAsync(fixture.Settings.OtherNode("edge-survivor"), GatewayRole.Edge);
            var grains = fixture.Node.Services.GetRequiredService<IGrainFactory>();

            // Placement is random: pick a subject whose agent grain the doomed silo activates.
            var doomedAddress = silo.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress;
            var management = grains.GetGrain<IManagementGrain>(0);
            // Placement weighs the silos' load: a silo that has just started (busy compiling) is chosen rarely at
            // first, so candidates are tried until one lands there (bounded by time, not by a count).
            string? subject = null;
            var placing = Stopwatch.StartNew();
            for (var attempt = 0; subject is null && placing.Elapsed < TimeSpan.FromSeconds(30); attempt++)
            {
                var candidate = $"agent-failover-{attempt}-{Guid.NewGuid():N}";
                var probe = silo.Services.GetRequiredService<IGrainFactory>().GetGrain<IAgentGrain>(AgentKey(candidate));
                await probe.GetStatus();
                if (doomedAddress.Equals(await management.GetActivationAddress(probe)))
                {
                    subject = candidate;
                }
            }

            Assert.True(subject is not null, "no agent grain was placed on the silo to be stopped within 30 s");
            var token = await ResignedToken.CreateAsync(fixture.Node, claims => claims["sub"] = subject);
            await using var onSiloEdge = await RawPgClient.ConnectAsync(fixture.Node.Settings.PostgresPort);
            Assert.Equal('Z', (await onSiloEdge.LoginAsync(subject, GatewaySettings.TargetName, token))[^1].Code);
            await using var onEdge = await RawPgClient.ConnectAsync(edge.Settings.PostgresPort);
            Assert.Equal('Z', (await onEdge.LoginAsync(subject, GatewaySettings.TargetName, token))[^1].Code);

            // The agent grain's activation, and everything it held in memory, goes with the silo.
            await silo.DisposeAsync();
            siloStopped = true;

            var agent = grains.GetGrain<IAgentGrain>(AgentKey(subject));
            var clock = Stopwatch.StartNew();
            var revocation = agent.Revoke("revoked after failover");
            var closed = await Task.WhenAll(onSiloEdge.ReadAsync(), onEdge.ReadAsync());
            var elapsed = clock.Elapsed;
            output.WriteLine($"revocation after failover: both sessions closed {elapsed.TotalMilliseconds:0.0} ms after Revoke was called");

            Assert.Equal(2, await revocation);
            foreach (var fatal in closed)
            {
                Assert.Equal('E', fatal.Code);
                Assert.Equal("57P01", ErrorFields.Of(fatal, 'C'));
                Assert.Contains("agent revoked: revoked after failover", ErrorFields.Of(fatal, 'M'), StringComparison.Ordinal);
            }

            Assert.True(elapsed < TimeSpan.FromSeconds(1), $"sessions closed after {elapsed.TotalMilliseconds:0} ms");
            Assert.Empty((await agent.GetStatus()).Sessions);
        }
        finally
        {
            if (!siloStopped)
            {
                await silo.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Cli_revoke_token_closes_only_sessions_of_that_token_and_refuses_it_afterwards()
    {
        var config = fixture.Settings.WriteConfigFile();
        var token = await fixture.Node.GetTokenAsync(GatewaySettings.RevocableClientId);
        var jti = System.Text.Json.JsonDocument.Parse(Base64UrlDecode(token.Split('.')[1])).RootElement.GetProperty("jti").GetString()!;

        await using var doomed = await RawPgClient.ConnectAsync(fixture.Node.Settings.PostgresPort);
        Assert.Equal('Z', (await doomed.LoginAsync(GatewaySettings.RevocableClientId, "demo", token))[^1].Code);
        await using var sibling = await LoginAsync(fixture.Node, GatewaySettings.RevocableClientId);

        var printed = new StringWriter();
        Assert.Equal(0, await CommandLine.RunAsync(["--config", config, "agents", "revoke-token", jti], printed, TextWriter.Null, CancellationToken.None));
        Assert.Contains("1 live sessions closed", printed.ToString(), StringComparison.Ordinal);

        var fatal = await doomed.ReadAsync();
        Assert.Equal("57P01", ErrorFields.Of(fatal, 'C'));
        await sibling.SendAsync(w => FrontendWriter.Query(w, "SELECT 1"));
        Assert.Contains(await sibling.ReadUntilReadyAsync(), m => m.Code == 'D');

        await using var reuse = new NpgsqlConnection(fixture.Node.ConnectionString(token, user: GatewaySettings.RevocableClientId));
        Assert.Equal("28000", (await Assert.ThrowsAsync<PostgresException>(() => reuse.OpenAsync())).SqlState);

        var list = new StringWriter();
        Assert.Equal(0, await CommandLine.RunAsync(["--config", config, "agents", "list"], list, TextWriter.Null, CancellationToken.None));
        Assert.Contains($"{AgentKey(GatewaySettings.RevocableClientId)}\tactive", list.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Session_whose_token_expires_is_ended_with_fatal_57P01()
    {
        var settings = new GatewaySettings
        {
            StateConnectionString = fixture.Settings.StateConnectionString,
            TargetPort = fixture.Settings.TargetPort,
            TargetPassword = fixture.Settings.TargetPassword,
            TokenLifetime = TimeSpan.FromSeconds(3),
            NodeName = "short-tokens",
        };
        await using var node = await GatewayNode.StartAsync(settings);
        await using var client = await RawPgClient.ConnectAsync(settings.PostgresPort);
        var clock = Stopwatch.StartNew();
        Assert.Equal('Z', (await client.LoginAsync(GatewaySettings.AgentClientId, "demo", await node.GetTokenAsync()))[^1].Code);

        var fatal = await client.ReadAsync();
        Assert.Equal("57P01", ErrorFields.Of(fatal, 'C'));
        Assert.Contains("token expired", ErrorFields.Of(fatal, 'M'), StringComparison.Ordinal);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Session_outlives_its_token_by_the_configured_grace_then_ends_with_fatal_57P01()
    {
        var grace = TimeSpan.FromSeconds(3);
        var overrides = new Dictionary<string, string?> { ["OrleansGate:Postgres:TokenExpiryGrace"] = "00:00:03" };
        await using var edge = await GatewayNode.StartAsync(fixture.Settings.OtherNode("edge-expiry-grace", overrides), GatewayRole.Edge);
        var expires = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 3);
        var token = await ResignedToken.CreateAsync(fixture.Node, c =>
        {
            c["sub"] = $"agent-grace-{Guid.NewGuid():N}";
            c["jti"] = Guid.NewGuid().ToString("N");
            c["exp"] = expires.ToUnixTimeSeconds();
        });
        await using var client = await RawPgClient.ConnectAsync(edge.Settings.PostgresPort);
        Assert.Equal('Z', (await client.LoginAsync("agent-grace", GatewaySettings.TargetName, token))[^1].Code);

        // Alive at exp and past it: statements keep being answered until half a second after exp (each one waits
        // 0.2 s in the target, so the loop is paced by real statements, not by a sleep in the test).
        var statements = 0;
        while (DateTimeOffset.UtcNow < expires + TimeSpan.FromSeconds(0.5))
        {
            await client.SendAsync(w => FrontendWriter.Query(w, "SELECT pg_sleep(0.2)"));
            var reply = await client.ReadUntilReadyAsync();
            Assert.True(reply[^1].Code == 'Z', $"the session ended {(DateTimeOffset.UtcNow - expires).TotalSeconds:0.00} s after exp, within the {grace.TotalSeconds} s grace: {string.Join(" ", reply.Where(m => m.Code == 'E').Select(m => ErrorFields.Of(m, 'M')))}");
            statements++;
        }

        var fatal = await client.ReadAsync();
        var endedAfterExpiry = DateTimeOffset.UtcNow - expires;
        output.WriteLine($"{statements} statements answered; session ended {endedAfterExpiry.TotalSeconds:0.000} s after exp (grace {grace.TotalSeconds} s)");

        Assert.Equal("57P01", ErrorFields.Of(fatal, 'C'));
        Assert.Contains("token expired", ErrorFields.Of(fatal, 'M'), StringComparison.Ordinal);
        Assert.InRange(endedAfterExpiry, grace - TimeSpan.FromMilliseconds(50), grace + TimeSpan.FromSeconds(5));
    }

    private static byte[] Base64UrlDecode(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '='));
    }
}
