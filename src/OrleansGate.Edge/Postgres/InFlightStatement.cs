using OrleansGate.Edge.Sessions;

namespace OrleansGate.Edge.Postgres;

/// <summary>What the target is going to answer next, in order: the relay matches its answers against these.</summary>
internal enum InFlightKind
{
    /// <summary>A simple Query (ends at its ReadyForQuery).</summary>
    Query,

    /// <summary>An Execute (ends at CommandComplete, EmptyQueryResponse, PortalSuspended or ErrorResponse).</summary>
    Execute,

    /// <summary>A Sync (ends at its ReadyForQuery; Executes still open then were skipped by the target).</summary>
    Sync,
}

/// <summary>
/// One forwarded message whose answer the relay waits for. Its audit record is <see cref="StatementSeq"/> (durable before
/// it was forwarded) or <see cref="Deferred"/> (a read, or an execution of one, forwarded before its record was durable:
/// its answer is held until it is); none when nothing is to be recorded (a refusal the gateway injected, a Sync).
/// A value: one is queued per statement. What its answer adds up to is kept by the relay for the oldest only.
/// <see cref="Trace"/> is the statement's decision span, the parent of the span of its answer (none when not traced).
/// </summary>
/// <see cref="Guard"/> is set for a write checked against the agent's rows-changed budget before it may commit.
internal readonly record struct InFlightStatement(
    InFlightKind Kind, long? StatementSeq, long StartedTimestamp, AuditPump.Deferred? Deferred = null, System.Diagnostics.ActivityContext Trace = default,
    RowsGuard? Guard = null);
