using System.Reflection;
using System.Threading.Channels;
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

    // Each test runs off xUnit's synchronization context (Task.Run), so that answering a charge runs the rest of the
    // edge's charge loop at once, inside SetResult/SetException: what follows each answer is then deterministic.
    // (Under xUnit's context the loop went on on another thread, and a charge could find the failed one still in flight.)
    [Fact]
    public Task Rows_of_a_charge_in_flight_count_against_what_is_left_until_its_answer_holds_them() => Task.Run(async () =>
    {
        var agent = AgentGrainStandIn.Create();
        var budgets = new RowBudgets(GrainFactoryStandIn.Create(agent), new FakeTimeProvider(Start));

        budgets.Charge("agent", Limits, read: 0, changed: 3);
        var first = await agent.NextAsync();
        Assert.Equal(3, first.Changed);
        Assert.Equal(2, budgets.ChangedRemaining("agent", Changed)); // was 5 while the charge was in flight

        budgets.Charge("agent", Limits, read: 0, changed: 1); // counted while the first is in flight: sent after it
        Assert.Equal(1, budgets.ChangedRemaining("agent", Changed));
        Assert.False(agent.Calls.Reader.TryRead(out _));

        first.Answer.SetResult(Use(3));
        var second = await agent.NextAsync();
        Assert.Equal(1, second.Changed);
        Assert.Equal(1, budgets.ChangedRemaining("agent", Changed));

        second.Answer.SetResult(Use(4));
        Assert.Equal(1, budgets.ChangedRemaining("agent", Changed));
        Assert.False(agent.Calls.Reader.TryRead(out _));
    });

    [Fact]
    public Task Rows_of_a_charge_that_failed_still_count_and_are_sent_with_the_next() => Task.Run(async () =>
    {
        var agent = AgentGrainStandIn.Create();
        var budgets = new RowBudgets(GrainFactoryStandIn.Create(agent), new FakeTimeProvider(Start));

        budgets.Charge("agent", Limits, read: 0, changed: 2);
        (await agent.NextAsync()).Answer.SetException(new TimeoutException("the grain did not answer"));
        Assert.Equal(3, budgets.ChangedRemaining("agent", Changed));

        budgets.Charge("agent", Limits, read: 0, changed: 1);
        var again = await agent.NextAsync();
        Assert.Equal(3, again.Changed);
        Assert.Equal(2, budgets.ChangedRemaining("agent", Changed));
        again.Answer.SetResult(Use(3));
        Assert.Equal(2, budgets.ChangedRemaining("agent", Changed));
    });

    private static RowBudgetState Use(long used) => new(null, new RowBudgetUse(used, Start + Changed.Window));

    /// <summary>A stand-in for the agent grain: each charge waits for the test to answer it.</summary>
    public class AgentGrainStandIn : DispatchProxy
    {
        public Channel<Charge> Calls { get; } = Channel.CreateUnbounded<Charge>();

        public static AgentGrainStandIn Create() => (AgentGrainStandIn)(object)Create<IAgentGrain, AgentGrainStandIn>();

        /// <summary>The next charge; one that never comes fails the test after 10 s instead of hanging it.</summary>
        public async Task<Charge> NextAsync()
        {
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                return await Calls.Reader.ReadAsync(bound.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail("the edge sent no charge to the agent grain within 10 s");
                throw;
            }
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            if (targetMethod?.Name != nameof(IAgentGrain.ChargeRows))
            {
                throw new NotSupportedException(targetMethod?.Name);
            }

            var charge = new Charge((long)args![1]!, (long)args[3]!, new TaskCompletionSource<RowBudgetState>());
            Assert.True(Calls.Writer.TryWrite(charge));
            return charge.Answer.Task;
        }
    }

    public sealed record Charge(long Read, long Changed, TaskCompletionSource<RowBudgetState> Answer);

    /// <summary>A stand-in for the grain factory: every grain asked for is <see cref="Agent"/>.</summary>
    public class GrainFactoryStandIn : DispatchProxy
    {
        private object? _agent;

        public static IGrainFactory Create(AgentGrainStandIn agent)
        {
            var factory = Create<IGrainFactory, GrainFactoryStandIn>();
            ((GrainFactoryStandIn)(object)factory)._agent = agent;
            return factory;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) =>
            targetMethod is { Name: nameof(IGrainFactory.GetGrain), IsGenericMethod: true } && targetMethod.GetGenericArguments()[0] == typeof(IAgentGrain)
                ? _agent
                : throw new NotSupportedException(targetMethod?.Name);
    }
}
