using System.Collections.Concurrent;
using System.Diagnostics;
using OrleansGate.Model;
using OrleansGate.Postgres.Protocol;

namespace OrleansGate.Edge.Postgres;

/// <summary>
/// Completion records (issue: rows, duration, outcome per statement). The relay knows from the target's answers
/// how each audited statement ended; the completions travel to the session grain with the session's next
/// statement (no call of their own), or in a call of their own once <see cref="CompletionFlushCount"/> wait or
/// the oldest has waited <see cref="CompletionFlushAge"/> (prepared statements executed many times), and at logout.
/// When the audit store cannot take them, they are kept (up to <see cref="MaxPendingCompletions"/>) and the session's
/// executions are refused (58000) until they are written, so a prepared statement runs unrecorded for a few flushes
/// at most after the audit store goes away.
/// </summary>
public sealed partial class PostgresSession
{
    private const int CompletionFlushCount = 64;
    private static readonly TimeSpan CompletionFlushAge = TimeSpan.FromSeconds(1);
    private const int MaxPendingCompletions = 10_000;

    private const string Interrupted = "interrupted";

    private const string CompletionsUnwritten =
        "audit store unavailable: the completion records of this session's earlier executions could not be written";

    /// <summary>Forwarded, not yet answered: written by the client loop before the message is flushed, read by the upstream loop.</summary>
    private readonly ConcurrentQueue<InFlightStatement> _inFlight = new();

    private readonly ConcurrentQueue<StatementCompletion> _completed = new();

    // ConcurrentQueue.Count takes a snapshot of the queue; this counter is what the per-statement checks read.
    private int _completedCount;

    // What the answer of the oldest in-flight statement adds up to so far (upstream loop only).
    private long? _answerRows;
    private string? _answerOutcome;
    private long _oldestCompletedTimestamp;
    private int _completionFlushRunning;

    // The flush in flight, if any: the session waits for it before its logout, which must carry what it gives back.
    private Task? _completionFlush;
    private volatile bool _completionsUnwritten;
    private long _completionsDropped;

    // Numbers completions in the order the target answered (upstream loop only), so the grain writes each once.
    private long _completionNumber;

    /// <summary>
    /// Executions are refused while this session's earlier completions could not be written, and from the moment any
    /// session of this edge found the audit store failing until one finds it answering again (fail closed at once, not
    /// after this session's own next flush). A refused execution with nothing of its own to write probes the store.
    /// </summary>
    private Decision? RefuseExecutionWhileCompletionsUnwritten()
    {
        if (!_completionsUnwritten && !_services.AuditHealth.Failing)
        {
            return null;
        }

        FlushCompletionsIfDue(force: true);
        return new Decision(DecisionEffect.Unavailable, "gateway:audit-unavailable", CompletionsUnwritten, 0, 0);
    }

    /// <summary>Completions that a refused request carried go back to wait for the next attempt.</summary>
    private void ReturnCompletions(IReadOnlyList<StatementCompletion> completions)
    {
        foreach (var completion in completions)
        {
            Keep(completion);
        }
    }

    private void Keep(StatementCompletion completion)
    {
        if (Volatile.Read(ref _completedCount) >= MaxPendingCompletions)
        {
            // Bounded: executions are refused long before this while the store is down; this only guards memory.
            if (Interlocked.Increment(ref _completionsDropped) == 1)
            {
                LogCompletionsLost(_logger, _session!.SessionId, 1, "too many completion records waiting");
            }

            return;
        }

        if (Interlocked.Increment(ref _completedCount) == 1)
        {
            _oldestCompletedTimestamp = Stopwatch.GetTimestamp();
        }

        _completed.Enqueue(completion);
    }

    private void ExpectAnswer(InFlightKind kind, long? statementSeq) =>
        _inFlight.Enqueue(new InFlightStatement(kind, statementSeq is > 0 ? statementSeq : null, Stopwatch.GetTimestamp()));

    /// <summary>The completions waiting to be written, in their order, taken to travel with the next statement's request.</summary>
    private IReadOnlyList<StatementCompletion> TakeCompletions()
    {
        if (!_completed.TryDequeue(out var first))
        {
            return [];
        }

        Interlocked.Decrement(ref _completedCount);
        if (!_completed.TryDequeue(out var second))
        {
            return [first]; // the usual case: the previous statement's completion
        }

        Interlocked.Decrement(ref _completedCount);
        var taken = new List<StatementCompletion> { first, second };
        while (_completed.TryDequeue(out var completion))
        {
            Interlocked.Decrement(ref _completedCount);
            taken.Add(completion);
        }

        // Completions given back after a failed write queue behind newer ones; the grain wants them in order.
        taken.Sort(static (a, b) => a.Number.CompareTo(b.Number));
        return taken;
    }

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

                FlushCompletionsIfDue();
                break;
        }
    }

    /// <summary>Ends the oldest in-flight statement: its first error wins over <paramref name="outcome"/>.</summary>
    private void Finish(InFlightKind expected, string outcome)
    {
        var (rows, failed) = (_answerRows, _answerOutcome);
        (_answerRows, _answerOutcome) = (null, null);
        if (!_inFlight.TryDequeue(out var done) || done.Kind != expected || done.StatementSeq is not { } seq)
        {
            return;
        }

        var elapsed = Stopwatch.GetElapsedTime(done.StartedTimestamp);
        Keep(new StatementCompletion(seq, _services.Time.GetUtcNow(), rows, (long)elapsed.TotalMicroseconds, failed ?? outcome) { Number = ++_completionNumber });
    }

    /// <summary>
    /// Writes waiting completions in a call of their own when many have waited or the oldest waited long; with
    /// <paramref name="force"/> (an execution refused while the store is failing) even none, which probes the store.
    /// </summary>
    private void FlushCompletionsIfDue(bool force = false)
    {
        // While they cannot be written, every answer retries, so executions resume as soon as the store is back.
        if ((!force && _completed.IsEmpty)
            || (!force && !_completionsUnwritten && Volatile.Read(ref _completedCount) < CompletionFlushCount && Stopwatch.GetElapsedTime(_oldestCompletedTimestamp) < CompletionFlushAge)
            || Interlocked.CompareExchange(ref _completionFlushRunning, 1, 0) != 0)
        {
            return;
        }

        var batch = TakeCompletions();
        _completionFlush = FlushCompletionsAsync(batch);
    }

    private async Task FlushCompletionsAsync(IReadOnlyList<StatementCompletion> batch)
    {
        try
        {
            var written = await _sessionGrain!.Completed(batch).ConfigureAwait(false);
            if (!written)
            {
                ReturnCompletions(batch);
            }

            _completionsUnwritten = !written;
            _services.AuditHealth.Observed(written);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Outcome unknown (the cluster did not answer): kept and sent again; the grain writes each number once.
            ReturnCompletions(batch);
            _completionsUnwritten = true;
            _services.AuditHealth.Observed(false);
            LogCompletionsLost(_logger, _session!.SessionId, batch.Count, e.Message);
        }
        finally
        {
            Volatile.Write(ref _completionFlushRunning, 0);
        }
    }

    /// <summary>
    /// At logout: statements the target never answered end as interrupted; everything waiting goes with the logout
    /// record, including what a flush still in flight gives back if it fails (so it is awaited first; it never throws).
    /// </summary>
    private async Task<IReadOnlyList<StatementCompletion>> TakeCompletionsAtCloseAsync()
    {
        if (Volatile.Read(ref _completionFlush) is { } flush)
        {
            await flush.ConfigureAwait(false);
        }

        while (_inFlight.TryPeek(out var open))
        {
            Finish(open.Kind, Interrupted);
        }

        return TakeCompletions();
    }

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Warning, Message = "Session {SessionId}: {Count} completion records not written yet: {Error}")]
    private static partial void LogCompletionsLost(Microsoft.Extensions.Logging.ILogger logger, string sessionId, int count, string error);
}
