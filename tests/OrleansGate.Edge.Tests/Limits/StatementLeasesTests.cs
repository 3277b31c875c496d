using Microsoft.Extensions.Time.Testing;
using OrleansGate.Edge.Limits;
using OrleansGate.Grains;
using OrleansGate.Model;

namespace OrleansGate.Edge.Tests.Limits;

/// <summary>
/// An edge's statement tokens: one lease call to the agent grain at a time, asking for as many tokens as the agent's
/// sessions here asked for during the previous call (at least a lease), so a slow round trip does not cap the rate.
/// </summary>
public sealed class StatementLeasesTests
{
    private static readonly StatementRateLimit Rate = new("rate-test", 50); // a lease of 2, at most 6

    [Fact]
    public async Task The_next_lease_asks_for_what_the_sessions_asked_during_the_last_one()
    {
        Assert.Equal((2, 6), (Rate.LeaseSize, Rate.MaxLeaseSize));
        var agent = AgentGrainStandIn.Create();
        var leases = new StatementLeases(AgentGrainStandIn.Factory(agent), new FakeTimeProvider()); // leases do not expire here

        var takes = new List<Task<TimeSpan?>> { leases.TakeAsync("agent", Rate).AsTask() };
        var first = await agent.NextAsync(nameof(IAgentGrain.LeaseStatements));
        Assert.Equal(2, first.Args[2]); // nothing asked before: a lease

        // Seven more statements while the call is out: they wait for it.
        takes.AddRange(Enumerable.Range(0, 7).Select(_ => leases.TakeAsync("agent", Rate).AsTask()));
        Assert.DoesNotContain(takes, t => t.IsCompleted);
        Assert.False(agent.HasCall);

        // Two granted: two statements run; the others find none left and the next call asks for the seven.
        first.Answer(new StatementLease(2, TimeSpan.Zero));
        var second = await agent.NextAsync(nameof(IAgentGrain.LeaseStatements));
        Assert.Equal(7, second.Args[2]);

        // Six more: every statement gets a token, and no third call is made.
        second.Answer(new StatementLease(6, TimeSpan.Zero));
        Assert.All(await Task.WhenAll(takes).WaitAsync(TimeSpan.FromSeconds(10)), wait => Assert.Null(wait));
        Assert.False(agent.HasCall);
    }
}
