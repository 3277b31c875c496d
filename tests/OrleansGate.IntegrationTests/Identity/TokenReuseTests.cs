using Microsoft.Extensions.DependencyInjection;
using OrleansGate.Edge.Sessions;
using OrleansGate.Grains;
using OrleansGate.Host.Hosting;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.Model;

namespace OrleansGate.IntegrationTests.Identity;

/// <summary>Optional jti replay refusal (per issuer, off by default), enforced cluster-wide by the agent grain.</summary>
[Collection(GatewayCollection.Name)]
public sealed class TokenReuseTests(GatewayFixture fixture)
{
    [Fact]
    public async Task Single_use_token_replayed_on_another_edge_is_refused_with_28000_and_a_fresh_token_is_admitted()
    {
        var singleUse = new Dictionary<string, string?> { ["OrleansGate:Identity:Issuers:0:TokenReuse"] = "SingleUse" };
        await using var edgeA = await GatewayNode.StartAsync(fixture.Settings.OtherNode("edge-single-use-a", singleUse), GatewayRole.Edge);
        await using var edgeB = await GatewayNode.StartAsync(fixture.Settings.OtherNode("edge-single-use-b", singleUse), GatewayRole.Edge);
        var subject = $"agent-reuse-{Guid.NewGuid():N}";
        var token = await ResignedToken.CreateAsync(fixture.Node, c => c["sub"] = subject);

        await using (var first = await RawPgClient.ConnectAsync(edgeA.Settings.PostgresPort))
        {
            Assert.Equal('Z', (await first.LoginAsync(subject, GatewaySettings.TargetName, token))[^1].Code);
        }

        // The first session has ended: a single-use token stays spent all the same, on every edge.
        await using var replay = await RawPgClient.ConnectAsync(edgeB.Settings.PostgresPort);
        var refused = Assert.Single(await replay.LoginAsync(subject, GatewaySettings.TargetName, token), m => m.Code == 'E');
        Assert.Equal("28000", ErrorFields.Of(refused, 'C'));
        Assert.Equal("session refused: token already used (single use)", ErrorFields.Of(refused, 'M'));

        var fresh = await ResignedToken.CreateAsync(fixture.Node, c =>
        {
            c["sub"] = subject;
            c["jti"] = Guid.NewGuid().ToString("N");
        });
        await using var admitted = await RawPgClient.ConnectAsync(edgeB.Settings.PostgresPort);
        Assert.Equal('Z', (await admitted.LoginAsync(subject, GatewaySettings.TargetName, fresh))[^1].Code);
    }

    [Fact]
    public async Task Token_without_jti_is_refused_with_28P01_where_its_issuer_limits_reuse()
    {
        var overrides = new Dictionary<string, string?> { ["OrleansGate:Identity:Issuers:0:TokenReuse"] = "OneSessionAtATime" };
        await using var edge = await GatewayNode.StartAsync(fixture.Settings.OtherNode("edge-reuse-jti", overrides), GatewayRole.Edge);
        var token = await ResignedToken.CreateAsync(fixture.Node, c => c.Remove("jti"));

        await using var client = await RawPgClient.ConnectAsync(edge.Settings.PostgresPort);
        var refused = Assert.Single(await client.LoginAsync(GatewaySettings.AgentClientId, GatewaySettings.TargetName, token), m => m.Code == 'E');

        Assert.Equal("28P01", ErrorFields.Of(refused, 'C'));
        Assert.EndsWith(": token id (jti) missing", ErrorFields.Of(refused, 'M'), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(TokenReuse.Allowed, true, true)]
    [InlineData(TokenReuse.OneSessionAtATime, false, true)]
    [InlineData(TokenReuse.SingleUse, false, false)]
    public async Task Agent_grain_applies_the_reuse_rule_to_a_second_session_and_to_a_login_after_the_first_ended(
        TokenReuse reuse, bool secondWhileFirstLive, bool afterFirstEnded)
    {
        var (agent, registry, session) = NewAgent();
        var first = session();
        registry.Add(first.SessionId, _ => { });
        Assert.True((await agent.RegisterSession(first, registry.Terminator, reuse, null)).Admitted);
        var second = session();
        Assert.Equal(secondWhileFirstLive, (await agent.RegisterSession(second, registry.Terminator, reuse, null)).Admitted);
        registry.Remove(first.SessionId);
        await agent.UnregisterSession(first.SessionId);
        await agent.UnregisterSession(second.SessionId);
        var third = session();
        var registration = await agent.RegisterSession(third, registry.Terminator, reuse, null);
        await agent.UnregisterSession(third.SessionId);

        Assert.Equal(afterFirstEnded, registration.Admitted);
    }

    [Fact]
    public async Task One_session_at_a_time_admits_a_reconnect_when_the_edge_holding_the_first_session_lost_it()
    {
        // An edge that crashed never unregistered its session; the agent grain asks the edge instead of trusting its list.
        var (agent, registry, session) = NewAgent();
        var lost = session();
        registry.Add(lost.SessionId, _ => { });
        Assert.True((await agent.RegisterSession(lost, registry.Terminator, TokenReuse.OneSessionAtATime, null)).Admitted);
        registry.Remove(lost.SessionId);

        var reconnect = session();
        var registration = await agent.RegisterSession(reconnect, registry.Terminator, TokenReuse.OneSessionAtATime, null);
        await agent.UnregisterSession(reconnect.SessionId);

        Assert.True(registration.Admitted, registration.RefusalReason);
        Assert.DoesNotContain((await agent.GetStatus()).Sessions, s => s.SessionId == lost.SessionId);
    }

    [Fact]
    public async Task A_registration_asked_again_for_the_same_session_is_admitted_once_even_for_a_single_use_token()
    {
        // The edge asks again when the first call failed on the way (a silo stopping, a lost answer): the same session
        // is admitted, counted once, and its own token is not a replay of itself.
        var (agent, registry, session) = NewAgent();
        var first = session();
        registry.Add(first.SessionId, _ => { });
        var admitted = await agent.RegisterSession(first, registry.Terminator, TokenReuse.SingleUse, null);
        var again = await agent.RegisterSession(first, registry.Terminator, TokenReuse.SingleUse, null);
        var other = await agent.RegisterSession(session(), registry.Terminator, TokenReuse.SingleUse, null);
        var status = await agent.GetStatus();
        registry.Remove(first.SessionId);
        await agent.UnregisterSession(first.SessionId);

        Assert.True(admitted.Admitted, admitted.RefusalReason);
        Assert.True(again.Admitted, again.RefusalReason);
        Assert.Equal(admitted.TotalLogins, again.TotalLogins);
        Assert.False(other.Admitted); // another session with the spent token is still a replay
        Assert.Equal([first.SessionId], status.Sessions.Select(s => s.SessionId));
    }

    /// <summary>A fresh agent, this node's session registry, and a factory of sessions that all carry the same token id.</summary>
    private (IAgentGrain Agent, EdgeSessionRegistry Registry, Func<SessionInfo> Session) NewAgent()
    {
        var identity = new AgentIdentity(fixture.Settings.Issuer, $"agent-reuse-{Guid.NewGuid():N}", []);
        var agent = fixture.Node.Services.GetRequiredService<IGrainFactory>().GetGrain<IAgentGrain>(identity.GrainKey);
        var registry = fixture.Node.Services.GetRequiredService<EdgeSessionRegistry>();
        return (agent, registry, () => new SessionInfo(
            Guid.NewGuid().ToString("N"), identity, "jti-1", DateTimeOffset.UtcNow.AddMinutes(5), GatewaySettings.TargetName, "postgres", "test", "127.0.0.1:1", DateTimeOffset.UtcNow));
    }
}
