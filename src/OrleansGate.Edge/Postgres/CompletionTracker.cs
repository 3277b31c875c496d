using System.Collections.Concurrent;
using System.Diagnostics;
using OrleansGate.Edge.Sessions;
using OrleansGate.Model;
using OrleansGate.Postgres.Protocol;

namespace OrleansGate.Edge.Postgres;

/// <summary>
/// Matches the target's answers to the statements forwarded to it, in order, and says how each audited one ended (rows,
/// duration, outcome): a simple <c>Query</c> at its <c>ReadyForQuery</c>, an <c>Execute</c> at its <c>CommandComplete</c>,
/// <c>EmptyQueryResponse</c>, <c>PortalSuspended</c> or error, or as not run when its cycle ends first (the target skipped
/// it after an earlier error). <see cref="Expect"/> is called by the client loop before the message is flushed;
/// everything else by the upstream loop only.
/// </summary>
internal sealed class CompletionTracker
{
    public const string Interrupted = "interrupted";

    private readonly ConcurrentQueue<InFlightStatement> _inFlight = new();
    private readonly TimeProvider _time;
    private readonly Action<InFlightStatement, StatementCompletion> _completed;

    // What the answer of the oldest in-flight statement adds up to so far (upstream loop only).
    private long? _answerRows;
    private string? _answerOutcome;

    /// <param name="completed">Told how each audited statement ended (one with a record: a number or a deferred record).</param>
    public CompletionTracker(TimeProvider time, Action<InFlightStatement, StatementCompletion> completed)
    {
        _time = time;
        _completed = completed;
    }

    /// <summary>Nothing forwarded is waiting for its answer.</summary>
    public bool IsEmpty => _inFlight.IsEmpty;

    /// <summary>The statement the target's next answer belongs to.</summary>
    public bool TryPeek(out InFlightStatement oldest) => _inFlight.TryPeek(out oldest);

    /// <summary>
    /// A message was forwarded whose answer ends something: a statement recorded as <paramref name="statementSeq"/> (durable)
    /// or as <paramref name="record"/> (not yet), or nothing recorded (a Sync, a refusal the gateway injected).
    /// </summary>
    public void Expect(InFlightKind kind, long? statementSeq, AuditPump.Deferred? record = null, ActivityContext trace = default, RowsGuard? guard = null) =>
        _inFlight.Enqueue(new InFlightStatement(kind, record is null && statementSeq is > 0 ? statementSeq : null, Stopwatch.GetTimestamp(), record, trace, guard));

    /// <summary>The gateway refused the oldest in-flight statement in its answer's place (<paramref name="sqlState"/>), as an error would.</summary>
    public void Refused(string sqlState)
    {
        if (_inFlight.TryPeek(out var refused))
        {
            _answerOutcome ??= sqlState;
            if (refused.Kind == InFlightKind.Execute)
            {
                Finish(InFlightKind.Execute, sqlState);
            }
        }
    }

    /// <summary>
    /// One answer of the target. <paramref name="sqlState"/> is the SQLSTATE of an <c>ErrorResponse</c> (read once by the
    /// relay), null for any other message.
    /// </summary>
    public void Track(in PgMessage message, string? sqlState = null)
    {
        switch ((BackendMessageCode)message.Code)
        {
            case BackendMessageCode.CommandComplete:
                if (_inFlight.TryPeek(out var command))
                {
                    if (BackendMessages.ReadCommandCompleteCount(message.Payload) is { } count)
                    {
                        _answerRows = (_answerRows ?? 0) + count;
                    }

                    if (command.Kind == InFlightKind.Execute)
                    {
                        Finish(InFlightKind.Execute, StatementCompletion.Ok);
                    }
                }

                break;

            case BackendMessageCode.EmptyQueryResponse:
            case BackendMessageCode.PortalSuspended:
                if (_inFlight.TryPeek(out var empty) && empty.Kind == InFlightKind.Execute)
                {
                    Finish(InFlightKind.Execute, StatementCompletion.Ok);
                }

                break;

            case BackendMessageCode.ErrorResponse:
                if (_inFlight.TryPeek(out var failed))
                {
                    sqlState ??= BackendMessages.ReadError(message.Payload).GetValueOrDefault('C', "XX000");
                    _answerOutcome ??= sqlState;
                    if (failed.Kind == InFlightKind.Execute)
                    {
                        Finish(InFlightKind.Execute, sqlState);
                    }
                }

                break;

            case BackendMessageCode.ReadyForQuery:
                // Executes still open were skipped after an error; then comes the Query or Sync this answer ends.
                while (_inFlight.TryPeek(out var open) && open.Kind == InFlightKind.Execute)
                {
                    Finish(InFlightKind.Execute, StatementCompletion.NotRun);
                }

                if (_inFlight.TryPeek(out var cycle))
                {
                    Finish(cycle.Kind, StatementCompletion.Ok);
                }

                break;
        }
    }

    /// <summary>At logout: statements the target never answered end as <see cref="Interrupted"/>.</summary>
    public void InterruptAll()
    {
        while (_inFlight.TryPeek(out var open))
        {
            Finish(open.Kind, Interrupted);
        }
    }

    /// <summary>Ends the oldest in-flight statement: its first error wins over <paramref name="outcome"/>.</summary>
    private void Finish(InFlightKind expected, string outcome)
    {
        var (rows, failed) = (_answerRows, _answerOutcome);
        (_answerRows, _answerOutcome) = (null, null);
        if (!_inFlight.TryDequeue(out var done) || done.Kind != expected || (done.StatementSeq is null && done.Deferred is null))
        {
            return;
        }

        var elapsed = Stopwatch.GetElapsedTime(done.StartedTimestamp);
        _completed(done, new StatementCompletion(done.StatementSeq ?? 0, _time.GetUtcNow(), rows, (long)elapsed.TotalMicroseconds, failed ?? outcome));
    }
}
