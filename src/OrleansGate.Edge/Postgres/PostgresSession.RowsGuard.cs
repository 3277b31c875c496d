using System.Buffers;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using OrleansGate.Model;
using OrleansGate.Postgres.Protocol;

namespace OrleansGate.Edge.Postgres;

/// <summary>
/// Writes held to the agent's rows-changed budget. A write's count is known only from its CommandComplete, after it ran;
/// so a write by an agent with a <c>rows_changed</c> budget runs where it can still be undone when that count arrives:
/// <list type="bullet">
/// <item>a simple Query: once every earlier cycle is answered (the transaction state is then known), in a transaction the
/// gateway opens (BEGIN before it, when the session is idle) or the client's own; if its counts add up to more than what
/// is left, the CommandComplete that crosses is replaced by the refusal (53400), the rest of its answer is dropped, and
/// the gateway rolls back its own transaction or makes the client's fail; within the budget, it commits its own;</item>
/// <item>an Execute: its cycle's implicit or explicit transaction commits only at the client's Sync, so the gateway sends
/// a Flush after it and waits for its answer before the client's next message; over the budget, its CommandComplete is
/// replaced by the refusal and a Parse of an invalid marker makes the target fail the rest of the cycle until the Sync;</item>
/// <item>a COPY FROM STDIN: its count comes after its data; it is refused in its CopyInResponse's place (CopyFail sent).</item>
/// </list>
/// The gateway's own statements' answers are not relayed (only the ReadyForQuery that ends the client's cycle is).
/// </summary>
public sealed partial class PostgresSession
{
    private const string AbortMarkerPrefix = "ORLEANSGATE_ROWS_BUDGET_";

    /// <summary>Statements the gateway sent on its own, in order; each answered after <see cref="Injected.AfterCycle"/> client cycles.</summary>
    private readonly ConcurrentQueue<Injected> _injected = new();

    /// <summary>What the upstream loop drops after a refused write (upstream loop only).</summary>
    private GuardSwallow _guardSwallow;

    /// <summary>The Execute the client loop waits on (set by the client loop, settled by the upstream loop).</summary>
    private RowsGuard? _executeGuard;

    /// <summary>A write of this session has been held to the budget: the upstream loop looks at each answer for guards.</summary>
    private volatile bool _guarding;

    /// <summary>Completed by the upstream loop at the next ReadyForQuery (of a client cycle or of the gateway's own statement).</summary>
    private TaskCompletionSource? _answeredWaiter;

    /// <summary>1 once the target sent an error in the current cycle (it skips the rest of it), 0 again at its ReadyForQuery.</summary>
    private int _cycleFailed;

    /// <summary>Upstream loop, for every message: whether the current cycle has failed (a fence before the guard is read).</summary>
    private void TrackCycleFailure(byte code)
    {
        if (code == (byte)BackendMessageCode.ErrorResponse)
        {
            Interlocked.Exchange(ref _cycleFailed, 1);
        }
        else if (code == (byte)BackendMessageCode.ReadyForQuery)
        {
            Interlocked.Exchange(ref _cycleFailed, 0);
        }
    }

    private enum InjectedKind
    {
        Begin,
        Commit,
        Rollback,
        Abort,
    }

    private enum GuardSwallow
    {
        None,

        /// <summary>Until and with the next ErrorResponse (the target's error for the gateway's marker or CopyFail).</summary>
        UntilError,

        /// <summary>Until the cycle's ReadyForQuery.</summary>
        UntilCycleEnd,
    }

    private readonly record struct Injected(InjectedKind Kind, long AfterCycle);

    /// <summary>
    /// Client loop: the guard for <paramref name="sql"/> about to be sent, or null when the agent has no rows-changed budget,
    /// it does not write, or (a simple Query) the session's transaction has failed already. For a simple Query in an idle
    /// session, BEGIN is sent before it.
    /// </summary>
    private async ValueTask<RowsGuard?> GuardWriteAsync(string? sql, bool simpleQuery, IBufferWriter<byte> upstream, CancellationToken ct)
    {
        if (sql is null || _edge!.Limits().RowsChanged is null || (_services.Statements.Summarize(sql).Kinds & StatementKind.Write) == 0)
        {
            return null;
        }

        _guarding = true;

        // Earlier cycles (and the gateway's own statements) answered: the transaction state is known, and an error the
        // target sends from here on belongs to this cycle.
        await AwaitAllAnsweredAsync(ct).ConfigureAwait(false);
        if (!simpleQuery)
        {
            var guard = new RowsGuard(_edge.RowsChangedRemaining() ?? 0, wrapped: false);
            Interlocked.Exchange(ref _executeGuard, guard);
            if (Volatile.Read(ref _cycleFailed) == 1)
            {
                // An earlier message of this cycle failed: the target skips the Execute, which will not be answered.
                Interlocked.Exchange(ref _executeGuard, null);
                return null;
            }

            return guard;
        }

        var status = _answeredStatus;
        if (status == PgTransactionStatus.Failed)
        {
            return null; // the target refuses it anyway
        }

        var wrapped = status == PgTransactionStatus.Idle;
        if (wrapped)
        {
            Inject(upstream, InjectedKind.Begin, "BEGIN");
        }

        return new RowsGuard(_edge.RowsChangedRemaining() ?? 0, wrapped);
    }

    /// <summary>Client loop, after a guarded simple Query was sent: waits for its cycle, then ends the gateway's transaction or fails the client's.</summary>
    private async ValueTask EndGuardedQueryAsync(RowsGuard guard, IBufferWriter<byte> upstream, CancellationToken ct)
    {
        await _upstream!.Output.FlushAsync(ct).ConfigureAwait(false);
        if (await guard.Verdict.Task.WaitAsync(ct).ConfigureAwait(false) == RowsGuardVerdict.CopyIn)
        {
            FrontendWriter.CopyFail(upstream, "refused by the gateway: the agent has a rows-changed budget");
            await _upstream.Output.FlushAsync(ct).ConfigureAwait(false);
        }

        await guard.Ended.Task.WaitAsync(ct).ConfigureAwait(false);
        if (guard.Wrapped)
        {
            Inject(upstream, guard.Refused ? InjectedKind.Rollback : InjectedKind.Commit, guard.Refused ? "ROLLBACK" : "COMMIT");
        }
        else if (guard.Refused)
        {
            // The client's transaction must fail as the refused statement would have: a statement the target rejects.
            Inject(upstream, InjectedKind.Abort, AbortMarker());
        }
    }

    /// <summary>Client loop, after a guarded Execute was sent: waits for its answer before the client's next message.</summary>
    private async ValueTask EndGuardedExecuteAsync(RowsGuard guard, IBufferWriter<byte> upstream, CancellationToken ct)
    {
        FrontendWriter.Flush(upstream);
        await _upstream!.Output.FlushAsync(ct).ConfigureAwait(false);
        var verdict = await guard.Verdict.Task.WaitAsync(ct).ConfigureAwait(false);
        Volatile.Write(ref _executeGuard, null);
        if (verdict == RowsGuardVerdict.Exceeded)
        {
            // A Parse the target rejects: the cycle fails, and the target skips everything up to the client's Sync.
            FrontendWriter.Parse(upstream, AbortMarker().ToLowerInvariant(), AbortMarker());
        }
        else if (verdict == RowsGuardVerdict.CopyIn)
        {
            FrontendWriter.CopyFail(upstream, "refused by the gateway: the agent has a rows-changed budget");
        }
    }

    /// <summary>Client loop: waits until the target has answered every cycle the client side has sent.</summary>
    private async ValueTask AwaitAllAnsweredAsync(CancellationToken ct)
    {
        while (true)
        {
            var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _answeredWaiter, waiter);
            if (Volatile.Read(ref _cyclesAnswered) >= _cyclesSent && _injected.IsEmpty)
            {
                return;
            }

            await _upstream!.Output.FlushAsync(ct).ConfigureAwait(false);
            await waiter.Task.WaitAsync(ct).ConfigureAwait(false);
        }
    }

    private void Inject(IBufferWriter<byte> upstream, InjectedKind kind, string sql)
    {
        _injected.Enqueue(new Injected(kind, _cyclesSent));
        FrontendWriter.Query(upstream, sql);
    }

    private static string AbortMarker() => AbortMarkerPrefix + Convert.ToHexString(RandomNumberGenerator.GetBytes(12));

    /// <summary>
    /// Upstream loop, before anything else learns of <paramref name="message"/>: true when it was the answer to a statement the
    /// gateway sent on its own, or dropped after a refused write, or replaced by the refusal; false to relay it as usual.
    /// </summary>
    private bool GuardUpstreamMessage(in PgMessage message, IBufferWriter<byte> output)
    {
        var code = (BackendMessageCode)message.Code;
        if (_injected.TryPeek(out var injected) && injected.AfterCycle == _cyclesAnswered)
        {
            return InjectedAnswer(injected, message, output);
        }

        if (_guardSwallow == GuardSwallow.UntilError)
        {
            if (code == BackendMessageCode.ErrorResponse)
            {
                _guardSwallow = GuardSwallow.None;
            }

            return true;
        }

        if (_guardSwallow == GuardSwallow.UntilCycleEnd && code != BackendMessageCode.ReadyForQuery)
        {
            return true;
        }

        if (code == BackendMessageCode.ErrorResponse && Interlocked.CompareExchange(ref _executeGuard, null, null) is { } skipped)
        {
            // The guarded Execute failed, or an earlier message of its cycle did and the target skips it: nothing to hold.
            skipped.Verdict.TrySetResult(RowsGuardVerdict.Within);
            return false;
        }

        if (!InFlight.TryPeek(out var answering) || answering.Guard is not { } guard)
        {
            return false;
        }

        var execute = answering.Kind == InFlightKind.Execute;
        switch (code)
        {
            case BackendMessageCode.CommandComplete:
                if (ChangedRows(message) is { } changed)
                {
                    guard.Rows += changed;
                    if (guard.Rows > guard.Remaining)
                    {
                        RefuseGuarded(guard, execute, output, copy: false);
                        guard.Verdict.TrySetResult(RowsGuardVerdict.Exceeded);
                        return true;
                    }
                }

                if (execute)
                {
                    guard.Verdict.TrySetResult(RowsGuardVerdict.Within);
                }

                return false;

            case BackendMessageCode.CopyInResponse:
                RefuseGuarded(guard, execute, output, copy: true);
                guard.Verdict.TrySetResult(RowsGuardVerdict.CopyIn);
                return true;

            case BackendMessageCode.EmptyQueryResponse:
            case BackendMessageCode.PortalSuspended:
                // No count (a portal run with a row limit reports its rows when it completes: charged then, not held).
                if (execute)
                {
                    guard.Verdict.TrySetResult(RowsGuardVerdict.Within);
                }

                return false;

            default:
                return false;
        }
    }

    /// <summary>Upstream loop, at a guarded simple Query's ReadyForQuery (its bookkeeping done): false when it is not relayed.</summary>
    private static bool EndGuardedCycle(RowsGuard guard)
    {
        var relayed = !guard.Wrapped && !guard.Refused;
        guard.Verdict.TrySetResult(guard.Refused ? RowsGuardVerdict.Exceeded : RowsGuardVerdict.Within);
        guard.Ended.TrySetResult();
        return relayed;
    }

    /// <summary>The refusal in the place of the answer that crossed the budget (or began a COPY FROM STDIN).</summary>
    private void RefuseGuarded(RowsGuard guard, bool execute, IBufferWriter<byte> output, bool copy)
    {
        guard.Refused = true;
        _maskRelay?.ErrorArrived(); // the target fails the rest of the cycle, as after an error
        InFlight.Refused(PgSqlState.ConfigurationLimitExceeded);
        WriteRefusal(output, _edge!.RowsChangedRefusal(guard.Rows, guard.Remaining, copy));
        _guardSwallow = execute ? GuardSwallow.UntilError : GuardSwallow.UntilCycleEnd;
    }

    /// <summary>The answer to a statement the gateway sent: only the ReadyForQuery that ends the client's cycle, and a failed COMMIT, are relayed.</summary>
    private bool InjectedAnswer(Injected injected, in PgMessage message, IBufferWriter<byte> output)
    {
        switch ((BackendMessageCode)message.Code)
        {
            case BackendMessageCode.ReadyForQuery:
                _injected.TryDequeue(out _);
                if (injected.Kind != InjectedKind.Begin)
                {
                    _answeredStatus = BackendMessages.ReadReadyForQuery(message.Payload);
                    Forward(output, message.Raw);
                    _held.CycleEnded();
                }

                Interlocked.Exchange(ref _answeredWaiter, null)?.TrySetResult();
                return true;

            case BackendMessageCode.ErrorResponse when injected.Kind == InjectedKind.Commit:
                // The commit itself failed (a deferred constraint, a serialisation failure): that is the client's outcome.
                Forward(output, message.Raw);
                return true;

            case BackendMessageCode.ErrorResponse when injected.Kind == InjectedKind.Begin:
                // Cannot happen in an idle session; if it did, the write runs outside a transaction: charged, not held.
                if (InFlight.TryPeek(out var next) && next.Guard is { } unwrapped)
                {
                    unwrapped.Wrapped = false;
                }

                return true;

            default:
                return true;
        }
    }

    /// <summary>The rows a CommandComplete reports as changed (INSERT, UPDATE, DELETE, MERGE); null for any other tag.</summary>
    private static long? ChangedRows(in PgMessage message)
    {
        if (BackendMessages.ReadCommandCompleteCount(message.Payload) is not { } rows)
        {
            return null;
        }

        Span<byte> tag = stackalloc byte[8];
        var verb = CommandVerb(message.Payload, tag);
        return verb.SequenceEqual("INSERT"u8) || verb.SequenceEqual("UPDATE"u8) || verb.SequenceEqual("DELETE"u8) || verb.SequenceEqual("MERGE"u8)
            ? rows
            : null;
    }
}
