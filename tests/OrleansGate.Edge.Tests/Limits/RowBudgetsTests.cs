using Microsoft.Extensions.Time.Testing;
using OrleansGate.Edge.Limits;
using OrleansGate.Grains;
using OrleansGate.Model;

namespace OrleansGate.Edge.Tests.Limits;

/// <summary>
/// The edge's view of an agent's rows-changed budget never shows more left than the grain and the rows counted here
/// allow: rows in a charge still in flight count, and rows of a charge that failed are sent again.
/// </summary>
public sealed class RowBudgetsTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);
    private static readonly RowBudgetLimit Changed = new("blast-radius", 5, TimeSpan.FromHours(1));
    private static readonly AgentLimits Limits = new(null, null, null, Changed);

    // The edge takes up an answer on whichever thread reaches it first (the test's, or its own when the answer came
    // before it awaited the call), so the test waits for the charge to have ended (ChargedAsync), never assumes it.
    [Fact]
    public async Task Rows_of_a_charge_in_flight_count_against_what_is_left_until_its_answer_holds_them()
    {
        var agent = AgentGrainStandIn.Create();
        var budgets = new RowBudgets(AgentGrainStandIn.Factory(agent), new FakeTimeProvider(Start));

        budgets.Charge("agent", Limits, read: 0, changed: 3);
        var first = await agent.NextAsync(nameof(IAgentGrain.ChargeRows));
        Assert.Equal(3L, first.Args[3]);
        Assert.Equal(2, budgets.ChangedRemaining("agent", Changed)); // was 5 while the charge was in flight

        budgets.Charge("agent", Limits, read: 0, changed: 1); // counted while the first is in flight: sent after it
        Assert.Equal(1, budgets.ChangedRemaining("agent", Changed));
        Assert.False(agent.HasCall);

        first.Answer(Use(3));
        var second = await agent.NextAsync(nameof(IAgentGrain.ChargeRows));
        Assert.Equal(1L, second.Args[3]);
        Assert.Equal(1, budgets.ChangedRemaining("agent", Changed));

        // Between the answer and the edge taking it up the rows count twice (0 left), never not at all.
        second.Answer(Use(4));
        await budgets.ChargedAsync("agent").WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, budgets.ChangedRemaining("agent", Changed));
        Assert.False(agent.HasCall);
    }

    [Fact]
    public async Task Rows_of_a_charge_that_failed_still_count_and_are_sent_with_the_next()
    {
        var agent = AgentGrainStandIn.Create();
        var budgets = new RowBudgets(AgentGrainStandIn.Factory(agent), new FakeTimeProvider(Start));

        budgets.Charge("agent", Limits, read: 0, changed: 2);
        (await agent.NextAsync(nameof(IAgentGrain.ChargeRows))).Fail<RowBudgetState>(new TimeoutException("the grain did not answer"));
        await budgets.ChargedAsync("agent").WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(3, budgets.ChangedRemaining("agent", Changed));

        budgets.Charge("agent", Limits, read: 0, changed: 1);
        Assert.Equal(2, budgets.ChangedRemaining("agent", Changed));
        var again = await agent.NextAsync(nameof(IAgentGrain.ChargeRows));
        Assert.Equal(3L, again.Args[3]);
        Assert.Equal(2, budgets.ChangedRemaining("agent", Changed));
        again.Answer(Use(3));
        await budgets.ChargedAsync("agent").WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(2, budgets.ChangedRemaining("agent", Changed));
    }

    private static RowBudgetState Use(long used) => new(null, new RowBudgetUse(used, Start + Changed.Window));
}
