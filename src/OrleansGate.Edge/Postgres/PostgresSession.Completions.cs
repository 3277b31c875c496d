using OrleansGate.Edge.Sessions;
using OrleansGate.Edge.Telemetry;
using OrleansGate.Model;

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
    private const string CompletionsUnwritten =
        "audit store unavailable: the completion records of this session's earlier executions could not be written";

    /// <summary>What the target will answer next, in order, and how each audited statement ended (CompletionTracker.cs).</summary>
    private CompletionTracker? _completions;

    private CompletionTracker InFlight => _completions ??= new CompletionTracker(_services.Time, Completed);

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

    /// <summary>The trace context of the statement decided last: the span of its answer from the target is its child.</summary>
    private System.Diagnostics.ActivityContext _statementTrace;

    private void ExpectAnswer(InFlightKind kind, long? statementSeq, AuditPump.Deferred? record = null, RowsGuard? guard = null) =>
        InFlight.Expect(kind, statementSeq, record, _statementTrace, guard);

    /// <summary>How an audited statement ended, to the session's audit.</summary>
    private void Completed(InFlightStatement done, StatementCompletion completion)
    {
        _services.Telemetry.UpstreamLatency.Record(completion.DurationMicroseconds / 1000.0, EdgeTelemetry.Postgres);
        EdgeTelemetry.RecordUpstreamSpan(done.Trace, done.StartedTimestamp, _session?.Target, completion);
        completion = WithMaskCounts(completion); // how many values the masks replaced (PostgresSession.Masking.cs)
        if (done.Deferred is { } record)
        {
            _edge!.Completed(record, completion); // in the read's record itself while it is not written yet
        }
        else
        {
            _edge!.Completed(completion);
        }
    }
}
