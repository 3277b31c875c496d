using System.Buffers;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using OrleansGate.Audit;
using OrleansGate.Edge.Postgres;
using OrleansGate.Edge.Sessions;
using OrleansGate.Edge.Tests.Sessions;
using OrleansGate.Model;

namespace OrleansGate.Edge.Tests.Postgres;

public sealed class HeldAnswersTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);
    private static readonly SessionInfo Session = new("s-1", new AgentIdentity("https://idp", "agent", []), null, At.AddMinutes(15), "demo", "postgres", "edge", "127.0.0.1", At);
    private static readonly byte[] ReadyForQuery = [(byte)'Z', 0, 0, 0, 5, (byte)'I'];

    private readonly GatedAuditSinkStandIn _sink = new();
    private readonly AuditPump _pump;

    public HeldAnswersTests()
    {
        _pump = new AuditPump(AuditChain.Start(_sink, Session.SessionId), new FakeTimeProvider(At), _ => { });
    }

    [Fact]
    public async Task Cycles_whose_records_are_durable_are_released_as_they_were_with_the_open_one_after_them()
    {
        var held = new HeldAnswers();
        var first = _pump.Defer(Statement("SELECT 1"));
        var second = _pump.Defer(Statement("SELECT 2"));
        Emit(held, first, "rows-1");
        EndCycle(held);
        Emit(held, second, "rows-2");

        await Durable(first, second);
        var client = new ArrayBufferWriter<byte>();
        var openFailed = held.Release(client, Refusal);

        Assert.False(openFailed);
        Assert.Equal("rows-1Z\0\0\0\u0005Irows-2", Text(client));
        Assert.False(held.Active);
    }

    [Fact]
    public async Task A_cycle_whose_record_failed_becomes_the_refusal_and_its_ReadyForQuery_and_nothing_of_its_rows()
    {
        var held = new HeldAnswers();
        _sink.Failing = true;
        var failed = _pump.Defer(Statement("SELECT secret"));
        Emit(held, failed, "secret-rows");
        EndCycle(held);
        await Assert.ThrowsAsync<AuditUnavailableException>(() => Durable(failed));

        _sink.Failing = false;
        var later = _pump.Defer(Statement("SELECT 2"));
        Emit(held, later, "rows-2");
        EndCycle(held);
        await Durable(later);

        var client = new ArrayBufferWriter<byte>();
        Assert.False(held.Release(client, Refusal));
        Assert.Equal("REFUSEDZ\0\0\0\u0005Irows-2Z\0\0\0\u0005I", Text(client));
        Assert.DoesNotContain("secret", Text(client), StringComparison.Ordinal);
    }

    [Fact]
    public async Task When_the_open_cycle_failed_nothing_of_it_is_released_and_the_relay_is_told()
    {
        var held = new HeldAnswers();
        _sink.Failing = true;
        var failed = _pump.Defer(Statement("SELECT secret"));
        Emit(held, failed, "secret-rows");
        await Assert.ThrowsAsync<AuditUnavailableException>(() => Durable(failed));

        var client = new ArrayBufferWriter<byte>();
        Assert.True(held.Release(client, Refusal));
        Assert.Equal(0, client.WrittenCount);
    }

    [Fact]
    public void A_record_is_required_once_per_cycle_and_again_by_a_later_cycle()
    {
        var held = new HeldAnswers();
        var record = _pump.Defer(Statement("EXECUTE s"));
        Emit(held, record, "a");
        Emit(held, record, "b");
        EndCycle(held);
        Emit(held, record, "c");

        Assert.Equal(2, held.Records.Count);
        Assert.All(held.Records, r => Assert.Same(record, r));
    }

    [Fact]
    public void Nothing_is_held_before_a_record_is_required()
    {
        var held = new HeldAnswers();
        held.CycleEnded();

        Assert.False(held.Active);
        Assert.Empty(held.Records);
    }

    private static void Emit(HeldAnswers held, AuditPump.Deferred record, string bytes)
    {
        held.Require(record);
        held.Writer.Write(Encoding.ASCII.GetBytes(bytes));
    }

    private static void EndCycle(HeldAnswers held)
    {
        held.Writer.Write(ReadyForQuery);
        held.CycleEnded();
    }

    private static async Task Durable(params AuditPump.Deferred[] records)
    {
        foreach (var record in records)
        {
            record.Flush();
        }

        await Task.WhenAll(records.Select(r => r.Durable));
    }

    private static void Refusal(IBufferWriter<byte> client) => client.Write("REFUSED"u8);

    private static string Text(ArrayBufferWriter<byte> client) => Encoding.ASCII.GetString(client.WrittenSpan);

    private static AuditRecord Statement(string sql) =>
        new(AuditEventKind.Statement, At, Session, "fp", sql, new Decision(DecisionEffect.Allow, "test", "allowed", 1, 0));
}
