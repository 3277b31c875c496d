using System.Buffers;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using OrleansGate.Audit;
using OrleansGate.Edge.Postgres;
using OrleansGate.Edge.Sessions;
using OrleansGate.Edge.Tests.Sessions;
using OrleansGate.Model;
using OrleansGate.Postgres.Protocol;

namespace OrleansGate.Edge.Tests.Postgres;

public sealed class CompletionTrackerTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);

    private readonly List<(InFlightStatement Done, StatementCompletion Completion)> _completed = [];
    private readonly CompletionTracker _tracker;

    public CompletionTrackerTests()
    {
        _tracker = new CompletionTracker(new FakeTimeProvider(At), (done, completion) => _completed.Add((done, completion)));
    }

    [Fact]
    public void A_simple_query_ends_at_its_ReadyForQuery_with_the_rows_of_every_statement_in_it()
    {
        _tracker.Expect(InFlightKind.Query, 5);
        Track(CommandComplete("INSERT 0 2"));
        Track(CommandComplete("UPDATE 4"));
        Assert.Empty(_completed);

        Track(ReadyForQuery());

        var (_, completion) = Assert.Single(_completed);
        Assert.Equal((5L, 6L, StatementCompletion.Ok, At), (completion.StatementSessionSeq, completion.Rows!.Value, completion.Outcome, completion.At));
        Assert.True(_tracker.IsEmpty);
    }

    [Fact]
    public void A_tag_without_a_count_leaves_the_rows_unknown()
    {
        _tracker.Expect(InFlightKind.Query, 1);
        Track(CommandComplete("CREATE TABLE"));
        Track(ReadyForQuery());

        Assert.Null(Assert.Single(_completed).Completion.Rows);
    }

    [Fact]
    public void In_a_pipeline_the_failed_execute_has_its_SQLSTATE_and_the_ones_the_target_skipped_are_not_run()
    {
        _tracker.Expect(InFlightKind.Execute, 7);
        _tracker.Expect(InFlightKind.Execute, 8);
        _tracker.Expect(InFlightKind.Execute, 9);
        _tracker.Expect(InFlightKind.Sync, null);

        Track(CommandComplete("SELECT 1"));
        Track(Error("22012"));
        Track(ReadyForQuery());

        Assert.Equal(
            new[] { (7L, StatementCompletion.Ok), (8L, "22012"), (9L, StatementCompletion.NotRun) },
            _completed.Select(c => (c.Completion.StatementSessionSeq, c.Completion.Outcome)));
        Assert.True(_tracker.IsEmpty);
    }

    [Fact]
    public void The_first_error_of_a_query_is_its_outcome_and_the_SQLSTATE_the_relay_read_is_used()
    {
        _tracker.Expect(InFlightKind.Query, 3);
        _tracker.Track(Error("42P01"), sqlState: "42P01");
        Track(Error("25P02"));
        Track(ReadyForQuery());

        Assert.Equal("42P01", Assert.Single(_completed).Completion.Outcome);
    }

    [Fact]
    public void Empty_query_and_portal_suspended_end_an_execute()
    {
        _tracker.Expect(InFlightKind.Execute, 1);
        _tracker.Expect(InFlightKind.Execute, 2);
        Track(Bare('I'));
        Track(Bare('s'));

        Assert.Equal(new long[] { 1, 2 }, _completed.Select(c => c.Completion.StatementSessionSeq));
        Assert.All(_completed, c => Assert.Equal(StatementCompletion.Ok, c.Completion.Outcome));
    }

    [Fact]
    public void What_has_no_record_ends_without_a_completion()
    {
        _tracker.Expect(InFlightKind.Query, null); // a refusal the gateway injected
        _tracker.Expect(InFlightKind.Sync, null);
        Track(Error("42601"));
        Track(ReadyForQuery());
        Track(ReadyForQuery());

        Assert.Empty(_completed);
        Assert.True(_tracker.IsEmpty);
    }

    [Fact]
    public void A_read_whose_record_is_not_written_yet_is_completed_with_that_record()
    {
        var pump = new AuditPump(AuditChain.Start(new GatedAuditSinkStandIn(), "s-1"), new FakeTimeProvider(At), _ => { });
        var session = new SessionInfo("s-1", new AgentIdentity("https://idp", "agent", []), null, At, "demo", "postgres", "edge", "127.0.0.1", At);
        var record = pump.Defer(new AuditRecord(AuditEventKind.Statement, At, session, "fp", "SELECT 1", null));
        _tracker.Expect(InFlightKind.Query, null, record);

        Assert.True(_tracker.TryPeek(out var oldest));
        Assert.Same(record, oldest.Deferred);
        Track(CommandComplete("SELECT 1"));
        Track(ReadyForQuery());

        var (done, completion) = Assert.Single(_completed);
        Assert.Same(record, done.Deferred);
        Assert.Equal((0L, 1L), (completion.StatementSessionSeq, completion.Rows!.Value));
    }

    [Fact]
    public void At_logout_what_the_target_never_answered_is_interrupted()
    {
        _tracker.Expect(InFlightKind.Execute, 4);
        _tracker.Expect(InFlightKind.Sync, null);
        _tracker.Expect(InFlightKind.Query, 5);

        _tracker.InterruptAll();

        Assert.Equal(new long[] { 4, 5 }, _completed.Select(c => c.Completion.StatementSessionSeq));
        Assert.All(_completed, c => Assert.Equal(CompletionTracker.Interrupted, c.Completion.Outcome));
        Assert.True(_tracker.IsEmpty);
    }

    private void Track(byte[] bytes)
    {
        Assert.True(MessageFramer.TryRead(new ReadOnlySequence<byte>(bytes), 1 << 20, out var message, out _, out _));
        _tracker.Track(message);
    }

    private static byte[] CommandComplete(string tag) => Message('C', [.. Encoding.ASCII.GetBytes(tag), 0]);

    private static byte[] Bare(char code) => Message(code, []);

    private static byte[] ReadyForQuery()
    {
        var w = new ArrayBufferWriter<byte>();
        BackendWriter.ReadyForQuery(w, (byte)'I');
        return w.WrittenSpan.ToArray();
    }

    private static PgMessage Error(string sqlState)
    {
        var w = new ArrayBufferWriter<byte>();
        BackendWriter.ErrorResponse(w, "ERROR", sqlState, "failed");
        Assert.True(MessageFramer.TryRead(new ReadOnlySequence<byte>(w.WrittenSpan.ToArray()), 1 << 20, out var message, out _, out _));
        return message;
    }

    private void Track(PgMessage message) => _tracker.Track(message);

    private static byte[] Message(char code, byte[] payload)
    {
        var bytes = new byte[5 + payload.Length];
        bytes[0] = (byte)code;
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(1), 4 + payload.Length);
        payload.CopyTo(bytes, 5);
        return bytes;
    }
}
