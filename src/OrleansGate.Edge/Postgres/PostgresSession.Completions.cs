using System.Collections.Concurrent;
using System.Diagnostics;
using OrleansGate.Edge.Sessions;
using OrleansGate.Model;
using OrleansGate.Postgres.Protocol;

namespace OrleansGate.Edge.Postgres;

/// <summary>
/// Completion records (rows, duration, outcome per executed statement). The relay knows from the target's answers how
/// each audited statement ended and hands it to the session's audit (<see cref="EdgeSession.Completed"/>), which writes it
/// with the session's next record, or within a second. While completions cannot be written, and from the first failed
/// audit write any session of this edge sees, executions are refused (58000) at once; each refusal retries, so executions
/// resume by themselves as soon as the store answers.
/// </summary>
public sealed partial class PostgresSession
{
    private const string Interrupted = "interrupted";

    private const string CompletionsUnwritten =
        "audit store unavailable: the completion records of this session's earlier executions could not be written";

    /// <summary>Forwarded, not yet answered: written by the client loop before the message is flushed, read by the upstream loop.</summary>
    private readonly ConcurrentQueue<InFlightStatement> _inFlight = new();

    // What the answer of the oldest in-flight statement adds up to so far (upstream loop only).
    private long? _answerRows;
    private string? _answerOutcome;

    /// <summary>Executions are refused while earlier completions could not be written, or while this edge sees the audit store failing (fail closed).</summary>
    private Decision? RefuseExecutionWhileCompletionsUnwritten()
    {
        if (!_edge!.CompletionsUnwritten && !_services.EdgeSessions.AuditHealth.Failing)
        {
            return null;
        }

        _edge.RetryAudit();
        return new Decision(DecisionEffect.Unavailable, GatewayRules.AuditUnavailable, CompletionsUnwritten, 0, 0);
    }

    private void ExpectAnswer(InFlightKind kind, long? statementSeq, AuditPump.Deferred? record = null) =>
        _inFlight.Enqueue(new InFlightStatement(kind, record is null && statementSeq is > 0 ? statementSeq : null, Stopwatch.GetTimestamp(), record));

    /// <summary>Matches one answer of the target to the statement it ends (upstream loop only).</summary>
    private void TrackAnswer(in PgMessage message)
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
                    var sqlState = BackendMessages.ReadError(message.Payload).GetValueOrDefault('C', "XX000");
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
        var completion = new StatementCompletion(done.StatementSeq ?? 0, _services.Time.GetUtcNow(), rows, (long)elapsed.TotalMicroseconds, failed ?? outcome);
        if (done.Deferred is { } record)
        {
            _edge!.Completed(record, completion); // in the read's record itself while it is not written yet
        }
        else
        {
            _edge!.Completed(completion);
        }
    }

    /// <summary>At logout: statements the target never answered end as interrupted (their completions go with the logout record).</summary>
    private void InterruptInFlight()
    {
        while (_inFlight.TryPeek(out var open))
        {
            Finish(open.Kind, Interrupted);
        }
    }
}
