using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OrleansGate.Grains;
using OrleansGate.Host.Commands;
using OrleansGate.Host.Hosting;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.Model;

namespace OrleansGate.IntegrationTests.Identity;

/// <summary>
/// Sessions of an edge process that died leave the agent's live-session list (<c>agents show</c>) within
/// <see cref="Bound"/>; those of an edge that is alive but answers nothing do not, so a revocation still reaches them.
/// </summary>
/// <remarks>
/// The bound runs from the SIGKILL to the first <c>GetStatus</c> (what <c>agents show</c> calls) that no longer lists the
/// dead edge's sessions; it is what Orleans takes to report the process gone (an edge-only process: the gateway's client
/// drop timeout, 10 s, acted on within twice that; a node of role all: membership declaring its silo dead), plus one check.
/// </remarks>
[Collection(DeadEdgeCollection.Name)]
public sealed class DeadEdgeSessionTests(GatewayFixture fixture, Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    /// <summary>Status requests are paced by this (a request to an edge that does not answer takes 2 s by itself).</summary>
    private static readonly TimeSpan StatusPollInterval = TimeSpan.FromMilliseconds(250);

    private IGrainFactory Grains => fixture.Node.Services.GetRequiredService<IGrainFactory>();

    private string AgentKey(string subject) => $"{fixture.Settings.Issuer}|{subject}";

    [Fact]
    public async Task Sessions_of_an_edge_process_killed_with_sigkill_leave_agents_show_within_30_s()
    {
        var subject = $"agent-dead-edge-{Guid.NewGuid():N}";
        var token = await ResignedToken.CreateAsync(fixture.Node, c => c["sub"] = subject);
        using var edge = await NodeProcess.StartAsync(fixture.Settings.OtherNode("edge-sigkill"), GatewayRole.Edge);
        await using var onDead1 = await OpenAsync(edge.Settings, subject, token);
        await using var onDead2 = await OpenAsync(edge.Settings, subject, token);
        await using var onLiveEdge = await OpenAsync(fixture.Settings, subject, token);
        Assert.Equal(2, CountOf(await CliAsync("agents", "show", subject), "edge edge-sigkill"));

        var killed = Stopwatch.StartNew();
        await edge.KillAsync();
        var status = await WaitUntilNotListedAsync(Grains.GetGrain<IAgentGrain>(AgentKey(subject)), "edge-sigkill", killed);

        // The session on the edge that lives stays listed, confirmed; agents show agrees.
        Assert.Equal(["test-node"], status.Sessions.Select(s => s.EdgeNode));
        Assert.Empty(status.UnconfirmedSessionIds ?? []);
        var shown = await CliAsync("agents", "show", subject);
        Assert.Equal(0, CountOf(shown, "edge edge-sigkill"));
        Assert.Equal(1, CountOf(shown, "edge test-node"));
    }

    [Fact]
    public async Task Sessions_of_a_node_of_role_all_killed_with_sigkill_leave_agents_show_within_30_s()
    {
        // A cluster of its own: the silo killed here takes grains with it, which must not be another test's.
        var cluster = GatewaySettings.OwnCluster("dead-all");
        await using var survivor = await GatewayNode.StartAsync(fixture.Settings.OtherNode("all-survivor", cluster));
        using var doomed = await NodeProcess.StartAsync(fixture.Settings.OtherNode("all-sigkill", cluster), GatewayRole.All);
        var grains = survivor.Services.GetRequiredService<IGrainFactory>();
        var subject = await SubjectPlacedOnAsync(survivor);
        var token = await ResignedToken.CreateAsync(fixture.Node, c => c["sub"] = subject);
        await using var onDead1 = await OpenAsync(doomed.Settings, subject, token);
        await using var onDead2 = await OpenAsync(doomed.Settings, subject, token);
        await using var onSurvivor = await OpenAsync(survivor.Settings, subject, token);
        var agent = grains.GetGrain<IAgentGrain>(AgentKey(subject));
        Assert.Equal(2, (await agent.GetStatus()).Sessions.Count(s => s.EdgeNode == "all-sigkill"));

        var killed = Stopwatch.StartNew();
        await doomed.KillAsync();
        var status = await WaitUntilNotListedAsync(agent, "all-sigkill", killed);

        Assert.Equal(["all-survivor"], status.Sessions.Select(s => s.EdgeNode));
    }

    [Fact]
    public async Task Frozen_edge_keeps_its_sessions_listed_past_the_bound_and_a_revocation_made_meanwhile_closes_them_when_it_resumes()
    {
        var subject = $"agent-frozen-edge-{Guid.NewGuid():N}";
        var token = await ResignedToken.CreateAsync(fixture.Node, c => c["sub"] = subject);
        using var edge = await NodeProcess.StartAsync(fixture.Settings.OtherNode("edge-frozen"), GatewayRole.Edge);
        await using var onFrozen = await RawPgClient.ConnectAsync(edge.Settings.PostgresPort);
        Assert.Equal('Z', (await onFrozen.LoginAsync(subject, GatewaySettings.TargetName, token))[^1].Code);
        var agent = Grains.GetGrain<IAgentGrain>(AgentKey(subject));

        // SIGSTOP: the process is alive and its sockets stay open, but it answers nothing: slow, not dead. A revocation
        // cannot reach it now; its session must stay listed instead of being forgotten.
        var frozen = Stopwatch.StartNew();
        await edge.SignalAsync("STOP");
        Assert.Equal(0, await agent.Revoke("revoked while its edge was frozen"));

        // Frozen longer than a dead edge's sessions take to leave, and longer than the revocation's own message lives
        // (Orleans drops a request older than its 30 s response timeout), so only the checks' resends can reach it.
        var sawUnconfirmed = false;
        while (frozen.Elapsed < Bound + TimeSpan.FromSeconds(5))
        {
            var status = await agent.GetStatus();
            Assert.True(status.Sessions.Count == 1, $"the frozen edge's session was dropped {frozen.Elapsed.TotalSeconds:0.0} s after it froze");
            sawUnconfirmed |= status.UnconfirmedSessionIds is [_];
            await Task.Delay(StatusPollInterval);
        }

        Assert.True(sawUnconfirmed, "the frozen edge's session was never shown as unconfirmed");

        // Resumed, the edge answers the next check, which sends the revocation again: the session ends.
        var log = CapturedLog.Of(fixture.Node);
        var mark = log.Mark;
        await edge.SignalAsync("CONT");
        var resumed = Stopwatch.StartNew();
        var closing = onFrozen.ReadAsync();
        var afterResume = await agent.GetStatus();
        var fatal = await closing;
        output.WriteLine($"the revocation reached the resumed edge's session {resumed.Elapsed.TotalMilliseconds:0} ms after SIGCONT");
        Assert.Equal("57P01", ErrorFields.Of(fatal, 'C'));
        Assert.Contains("agent revoked: revoked while its edge was frozen", ErrorFields.Of(fatal, 'M'), StringComparison.Ordinal);
        Assert.Empty(afterResume.Sessions);
        Assert.Contains(log.Since(mark), e => e.Message.Contains("a revocation had not reached 1 session(s) on edge edge-frozen; sent again", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Edge_that_loses_its_only_gateway_ends_its_sessions_with_57P01()
    {
        var cluster = GatewaySettings.OwnCluster("lost");
        var silo = await GatewayNode.StartAsync(fixture.Settings.OtherNode("lost-silo", cluster), GatewayRole.Silo);
        await using var stopSilo = silo;
        await using var edge = await GatewayNode.StartAsync(fixture.Settings.OtherNode("lost-edge", cluster), GatewayRole.Edge);
        await using var client = await RawPgClient.ConnectAsync(edge.Settings.PostgresPort);
        Assert.Equal('Z', (await client.LoginAsync(GatewaySettings.AgentClientId, GatewaySettings.TargetName, await fixture.Node.GetTokenAsync()))[^1].Code);

        var closing = client.ReadAsync();
        var stopped = Stopwatch.StartNew();
        await silo.StopAsync();
        var fatal = await closing;
        output.WriteLine($"session ended {stopped.Elapsed.TotalMilliseconds:0} ms after the silo was told to stop");
        Assert.Equal("57P01", ErrorFields.Of(fatal, 'C'));
        Assert.Contains("lost its connection to the cluster", ErrorFields.Of(fatal, 'M'), StringComparison.Ordinal);
    }

    /// <summary>Polls the agent's status (paced, bounded by <see cref="Bound"/>) until no session of <paramref name="edgeNode"/> is listed.</summary>
    private async Task<AgentStatus> WaitUntilNotListedAsync(IAgentGrain agent, string edgeNode, Stopwatch sinceKill)
    {
        while (true)
        {
            var status = await agent.GetStatus();
            var listed = status.Sessions.Count(s => s.EdgeNode == edgeNode);
            if (listed == 0)
            {
                output.WriteLine($"the dead edge's sessions left the agent's status {sinceKill.Elapsed.TotalSeconds:0.0} s after SIGKILL (bound {Bound.TotalSeconds:0} s)");
                return status;
            }

            Assert.True(sinceKill.Elapsed < Bound, $"{listed} session(s) of {edgeNode} still listed {sinceKill.Elapsed.TotalSeconds:0.0} s after SIGKILL");
            await Task.Delay(StatusPollInterval);
        }
    }

    /// <summary>A subject whose agent grain <paramref name="node"/>'s silo activates (placement is random: tried, bounded by time).</summary>
    private async Task<string> SubjectPlacedOnAsync(GatewayNode node)
    {
        var grains = node.Services.GetRequiredService<IGrainFactory>();
        var address = node.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress;
        var management = grains.GetGrain<IManagementGrain>(0);
        var placing = Stopwatch.StartNew();
        for (var attempt = 0; placing.Elapsed < TimeSpan.FromSeconds(30); attempt++)
        {
            var candidate = $"agent-dead-all-{attempt}-{Guid.NewGuid():N}";
            var probe = grains.GetGrain<IAgentGrain>(AgentKey(candidate));
            await probe.GetStatus();
            if (address.Equals(await management.GetActivationAddress(probe)))
            {
                return candidate;
            }
        }

        throw new Xunit.Sdk.XunitException("no agent grain was placed on the surviving silo within 30 s");
    }

    private static async Task<NpgsqlConnection> OpenAsync(GatewaySettings edge, string user, string token)
    {
        var connection = new NpgsqlConnection(edge.ConnectionString(token, user: user));
        await connection.OpenAsync();
        return connection;
    }

    private async Task<string> CliAsync(params string[] args)
    {
        var printed = new StringWriter();
        Assert.Equal(0, await CommandLine.RunAsync(["--config", fixture.Settings.WriteConfigFile(), .. args], printed, TextWriter.Null, CancellationToken.None));
        output.WriteLine($"$ orleansgate {string.Join(' ', args)}{Environment.NewLine}{printed}");
        return printed.ToString();
    }

    private static int CountOf(string text, string part) => text.Split('\n').Count(l => l.Contains(part, StringComparison.Ordinal));
}
