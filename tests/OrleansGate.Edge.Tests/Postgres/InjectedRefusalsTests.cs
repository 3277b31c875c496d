using System.Buffers;
using OrleansGate.Edge.Postgres;
using OrleansGate.Model;
using OrleansGate.Postgres.Protocol;

namespace OrleansGate.Edge.Tests.Postgres;

public sealed class InjectedRefusalsTests
{
    private static readonly Decision Denied = new(DecisionEffect.Deny, "no-writes", "writes are not allowed", 3, 0);
    private static readonly Decision Other = new(DecisionEffect.Deny, "no-ddl", "no DDL", 3, 0);

    private readonly InjectedRefusals _refusals = new();

    [Fact]
    public void The_target_s_error_for_an_injected_query_is_replaced_by_its_refusal()
    {
        var upstream = new ArrayBufferWriter<byte>();
        _refusals.InjectQuery(upstream, cycle: 4, Denied);
        var marker = FrontendMessages.ReadQuery(Frame(upstream).Payload);

        Assert.StartsWith("ORLEANSGATE_REFUSED_", marker, StringComparison.Ordinal);
        Assert.False(_refusals.TryTake(SyntaxError(marker), cycle: 3, out _)); // an earlier cycle's error is the target's own
        Assert.True(_refusals.TryTake(SyntaxError(marker), cycle: 4, out var decision));
        Assert.Same(Denied, decision);
        Assert.Equal(0, _refusals.Count);
    }

    [Fact]
    public void An_injected_parse_keeps_the_statement_name_and_only_its_own_error_is_replaced()
    {
        var upstream = new ArrayBufferWriter<byte>();
        _refusals.InjectParse(upstream, cycle: 0, "s1", Denied);
        var parse = FrontendMessages.ReadParse(Frame(upstream).Payload);

        Assert.Equal("s1", parse.StatementName);
        Assert.False(_refusals.TryTake(SyntaxError("ORLEANSGATE_REFUSED_000000000000000000000000"), cycle: 0, out _));
        Assert.False(_refusals.TryTake(new Dictionary<char, string> { ['C'] = "42P01" }, cycle: 0, out _));
        Assert.True(_refusals.TryTake(SyntaxError(parse.Sql), cycle: 0, out _));
    }

    [Fact]
    public void Refusals_are_matched_oldest_first_and_every_marker_is_new()
    {
        var first = new ArrayBufferWriter<byte>();
        var second = new ArrayBufferWriter<byte>();
        _refusals.InjectQuery(first, cycle: 1, Denied);
        _refusals.InjectQuery(second, cycle: 2, Other);
        var (a, b) = (FrontendMessages.ReadQuery(Frame(first).Payload), FrontendMessages.ReadQuery(Frame(second).Payload));

        Assert.NotEqual(a, b);
        Assert.False(_refusals.TryTake(SyntaxError(b), cycle: 2, out _)); // not before the first is answered or skipped
        Assert.True(_refusals.TryTake(SyntaxError(a), cycle: 1, out var one));
        Assert.True(_refusals.TryTake(SyntaxError(b), cycle: 2, out var two));
        Assert.Equal((Denied, Other), (one, two));
    }

    [Fact]
    public void A_refusal_the_target_skipped_after_an_earlier_error_is_dropped_when_its_cycle_ends()
    {
        var upstream = new ArrayBufferWriter<byte>();
        _refusals.InjectParse(upstream, cycle: 5, "", Denied);
        _refusals.InjectParse(upstream, cycle: 6, "", Other);

        _refusals.CycleEnded(5);

        Assert.Equal(1, _refusals.Count);
        _refusals.CycleEnded(6);
        Assert.Equal(0, _refusals.Count);
    }

    private static Dictionary<char, string> SyntaxError(string near) =>
        new() { ['S'] = "ERROR", ['C'] = "42601", ['M'] = $"syntax error at or near \"{near}\"" };

    private static PgMessage Frame(ArrayBufferWriter<byte> written)
    {
        Assert.True(MessageFramer.TryRead(new ReadOnlySequence<byte>(written.WrittenMemory), 1 << 20, out var message, out _, out _));
        return message;
    }
}
