using Microsoft.Extensions.Time.Testing;
using OrleansGate.Audit;
using OrleansGate.Edge.Sessions;
using OrleansGate.Model;

namespace OrleansGate.Edge.Tests.Sessions;

public sealed class AuditPumpTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);
    private static readonly SessionInfo Session = new("s-1", new AgentIdentity("https://idp", "agent", []), null, At.AddMinutes(15), "demo", "postgres", "edge", "127.0.0.1", At);

    private readonly GatedAuditSinkStandIn _sink = new();
    private readonly FakeTimeProvider _time = new(At);
    private readonly List<bool> _observed = [];

    [Fact]
    public async Task A_deferred_record_waits_for_its_flush_and_is_then_written_on_its_own()
    {
        var pump = NewPump();
        var read = pump.Defer(Statement("SELECT 1"));
        await pump.AppendAsync(Statement("INSERT")); // someone waits: takes the deferred record along, in order

        Assert.Equal(1, await read.Durable);
        Assert.Equal(new[] { "SELECT 1", "INSERT" }, _sink.Rows.Select(r => r.Statement));

        var second = pump.Defer(Statement("SELECT 2"));
        Assert.False(second.Durable.IsCompleted);
        Assert.Single(_sink.Batches);

        second.Flush();
        Assert.Equal(3, await second.Durable);
        Assert.Equal(2, _sink.Batches.Count);
        Assert.Equal(new[] { true, true }, _observed);
    }

    [Fact]
    public async Task A_deferred_record_not_flushed_is_written_when_the_age_bound_passes()
    {
        var pump = NewPump();
        var read = pump.Defer(Statement("SELECT pg_sleep(60)"));

        _time.Advance(AuditPump.LaterAge);

        Assert.Equal(1, await read.Durable);
    }

    [Fact]
    public async Task A_completion_replaces_the_deferred_record_until_it_is_taken_into_an_append()
    {
        var pump = NewPump();
        var read = pump.Defer(Statement("SELECT 1"));

        Assert.True(read.TryReplace(Statement("SELECT 1") with { Outcome = "ok", Rows = 1 }));
        _sink.Hold();
        read.Flush();
        await _sink.Arrived.Task;

        Assert.False(read.TryReplace(Statement("SELECT 1") with { Outcome = "57014" }));
        _sink.Release();
        await read.Durable;
        var row = Assert.Single(_sink.Rows);
        Assert.Equal(("ok", 1L), (row.Outcome, row.Rows!.Value));
    }

    [Fact]
    public async Task Records_that_name_a_deferred_record_follow_it_with_its_number()
    {
        var pump = NewPump();
        var read = pump.Defer(Statement("EXECUTE s"));
        read.After(seq => Completion(seq, rows: 5));

        read.Flush();
        Assert.Equal(1, await read.Durable);
        read.After(seq => Completion(seq, rows: 7)); // once it is durable: queued with its number at once
        await pump.AppendAsync(Statement("INSERT"));

        Assert.Equal(
            new (string, long?)[] { ("Statement", null), ("Completion", 1), ("Completion", 1), ("Statement", null) },
            _sink.Rows.Select(r => (r.Kind, r.CompletesSeq)));
    }

    [Fact]
    public async Task A_deferred_record_that_could_not_be_written_faults_and_is_written_once_the_store_answers()
    {
        var pump = NewPump();
        _sink.Failing = true;
        var read = pump.Defer(Statement("SELECT 1"));
        read.Flush();

        await Assert.ThrowsAsync<AuditUnavailableException>(() => read.Durable);
        Assert.True(pump.HasUnwritten);

        _sink.Failing = false;
        Assert.Equal(2, await pump.AppendAsync(Statement("INSERT")));
        Assert.Equal(new[] { "SELECT 1", "INSERT" }, _sink.Rows.Select(r => r.Statement));
        Assert.False(pump.HasUnwritten);
        Assert.Equal(new[] { false, true }, _observed);
    }

    [Fact]
    public async Task Close_writes_a_deferred_record_then_what_names_it_then_the_logout()
    {
        var pump = NewPump();
        var read = pump.Defer(Statement("EXECUTE s"));
        read.After(seq => Completion(seq, rows: 3));

        var unwritten = await pump.CloseAsync(new AuditRecord(AuditEventKind.Logout, At, Session, null, null, null));

        Assert.Empty(unwritten);
        Assert.Equal(
            new (string, long?)[] { ("Statement", null), ("Completion", 1), ("Logout", null) },
            _sink.Rows.Select(r => (r.Kind, r.CompletesSeq)));
        Assert.Equal(0, pump.Dropped);
        await Assert.ThrowsAsync<AuditUnavailableException>(() => pump.AppendAsync(Statement("SELECT 2")));
    }

    [Fact]
    public async Task A_failed_close_returns_every_record_for_the_backlog_and_counts_what_needed_a_number()
    {
        var pump = NewPump();
        var read = pump.Defer(Statement("EXECUTE s"));
        read.After(seq => Completion(seq, rows: 3));
        _sink.Failing = true;

        var unwritten = await pump.CloseAsync(new AuditRecord(AuditEventKind.Logout, At, Session, null, null, null));

        Assert.Equal(new[] { AuditEventKind.Statement, AuditEventKind.Logout }, unwritten.Select(r => r.Kind));
        Assert.Equal(1, pump.Dropped);
        Assert.Empty(_sink.Rows);
    }

    [Fact]
    public async Task Requests_recorded_later_wait_while_a_full_queue_waits_behind_an_append_in_flight()
    {
        var pump = NewPump();
        _sink.Hold();
        var inFlight = pump.AppendAsync(Statement("INSERT"));
        await _sink.Arrived.Task;
        for (var i = 1; i < AuditPump.LaterCount; i++)
        {
            pump.AppendLater(Completion(1, rows: i));
        }

        Assert.True(pump.RoomForLaterAsync().IsCompleted); // one short of the bound: the next execution runs at once

        pump.AppendLater(Completion(1, rows: AuditPump.LaterCount));
        var room = pump.RoomForLaterAsync();
        Assert.False(room.IsCompleted);

        _sink.Release();
        await room;
        await inFlight;
        Assert.Equal(1 + AuditPump.LaterCount, _sink.Rows.Count());
    }

    private AuditPump NewPump() => new(AuditChain.Start(_sink, Session.SessionId), _time, _observed.Add);

    private static AuditRecord Statement(string sql) =>
        new(AuditEventKind.Statement, At, Session, "fp", sql, new Decision(DecisionEffect.Allow, "test", "allowed", 1, 0));

    private static AuditRecord Completion(long seq, long rows) =>
        new(AuditEventKind.Completion, At, Session, null, null, null) { Rows = rows, Outcome = "ok", CompletesSessionSeq = seq };
}
