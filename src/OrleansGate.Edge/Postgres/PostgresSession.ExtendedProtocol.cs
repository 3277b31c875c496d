using System.Buffers;
using Microsoft.Extensions.Logging;
using OrleansGate.Edge.Classification;
using OrleansGate.Edge.Sessions;
using OrleansGate.Model;
using OrleansGate.Postgres.Protocol;

namespace OrleansGate.Edge.Postgres;

/// <summary>
/// Extended-protocol bookkeeping for the policy: a statement is decided at Parse; its portals remember that
/// decision; Execute decides again when the cluster's policy version moved since, so neither a named
/// statement nor a portal carries an old "allow" past a policy change.
/// </summary>
/// <remarks>
/// The tables hold what the target holds: a statement is recorded at its ParseComplete (a re-Parse the target
/// rejects leaves the old entry, as it leaves the old statement), a portal at its BindComplete, and a Close at
/// its CloseComplete; an error drops what its cycle had not confirmed yet, as the target skips it. A Bind or
/// Execute names either a statement or portal confirmed by the target, or one parsed or bound earlier in the
/// same cycle (if that fails, the target skips the Bind or Execute too); names this session did not parse
/// (SQL-level PREPARE, DECLARE) are refused in place. A name whose Parse, Bind, Close or DEALLOCATE is in an
/// earlier, still unanswered cycle (a pipelining client) is decided once the target has answered that cycle:
/// until then the gateway cannot tell what the target will use (a re-Parse may fail with 42P05 and leave a
/// statement prepared by SQL), so the Bind or Execute waits, and is then decided against what the target holds.
/// A refused Parse is recorded at once, so that its Bind repeats the refusal.
/// </remarks>
public sealed partial class PostgresSession
{
    /// <summary>Bounds what a client can make the edge remember; past it, new names are refused (54000).</summary>
    private const int MaxRememberedStatements = 10_000;

    /// <summary>
    /// Bounds the messages awaiting the target's answer that the bookkeeping remembers (a client pipelining without
    /// reading is held back only by socket buffers): past it the session is closed with 54000.
    /// </summary>
    private const int MaxAwaitingTarget = 1_000_000;

    private const string StatementLimitRule = GatewayRules.StatementLimit;
    private const string UnknownStatementRule = GatewayRules.UnknownStatement;

    // Written by the upstream loop (answers) and the client loop (sends), read by the client loop: under this lock.
    private readonly Lock _extendedLock = new();
    private readonly Dictionary<string, PreparedStatementDecision> _prepared = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PreparedStatementDecision> _portals = new(StringComparer.Ordinal);
    private readonly AwaitingTarget _awaitingTarget = new(MaxAwaitingTarget);

    // Completed (and replaced) each time the target answers a cycle: a Bind or Execute waiting on an earlier cycle resumes.
    private TaskCompletionSource? _cycleAnswered;

    /// <summary>What the gateway knows of a name when a Bind or Execute of it is to be sent.</summary>
    private enum Resolution
    {
        /// <summary>The statement the target will use is known.</summary>
        Known,

        /// <summary>The gateway did not see it prepared or bound (or it was closed): refused.</summary>
        Unknown,

        /// <summary>An earlier, unanswered cycle changes it: decided once the target has answered that cycle.</summary>
        AwaitEarlierCycle,
    }

    /// <summary>A Parse of a new name past the limit is refused before it is decided.</summary>
    private Decision? RefuseParseAtLimit(string statementName)
    {
        lock (_extendedLock)
        {
            // Counted by name: re-parsing one name many times in a pipeline adds one.
            return _prepared.Count + _awaitingTarget.ParsedNames < MaxRememberedStatements || _prepared.ContainsKey(statementName)
                || _awaitingTarget.IsBeingCreated(statementName, portal: false)
                ? null
                : GatewayRefusal(StatementLimitRule, $"this session already holds {MaxRememberedStatements} prepared statements; close some (Close or DEALLOCATE) before preparing more");
        }
    }

    private void RememberParse(string statementName, string sql, Decision decision, long knownBefore, AuditPump.Deferred? record, MaskWork? masking)
    {
        _services.Statements.PolicyVersions?.Observe(decision.PolicyVersion);
        var statement = new PreparedStatementDecision(statementName, sql, decision, knownBefore) { Record = record, Masking = masking };
        lock (_extendedLock)
        {
            if (decision.IsAllowed)
            {
                _awaitingTarget.Add(new PendingExtended(PendingExtendedKind.Parse, statementName, statement, _cyclesSent));
            }
            else
            {
                // The target keeps whatever it had under this name; refusing it from now on only fails closed,
                // and a Bind repeats this decision rather than the target's "does not exist".
                _prepared[statementName] = statement;
            }
        }
    }

    /// <summary>
    /// Decides a Bind like an Execute: a statement refused at Parse is refused here with the same decision, one
    /// the gateway cannot vouch for is refused as unknown. An allowed Bind is recorded as awaiting its BindComplete.
    /// </summary>
    private async ValueTask<Decision> DecideBindAsync(string portalName, string statementName, CancellationToken ct)
    {
        var statement = await ResolveOnceAnsweredAsync(statementName, PendingExtendedKind.Parse, _prepared, ct).ConfigureAwait(false);
        bool full;
        lock (_extendedLock)
        {
            full = _portals.Count + _awaitingTarget.BoundNames >= MaxRememberedStatements && !_portals.ContainsKey(portalName)
                && !_awaitingTarget.IsBeingCreated(portalName, portal: true);
        }

        if (full)
        {
            return await AuditedRefusalAsync(
                GatewayRefusal(StatementLimitRule, $"this session already holds {MaxRememberedStatements} portals; close some before binding more"), statement?.Sql).ConfigureAwait(false);
        }

        if (statement is null)
        {
            return await AuditedRefusalAsync(GatewayRefusal(UnknownStatementRule, $"prepared statement \"{statementName}\" cannot be bound: {NotPrepared}"), null).ConfigureAwait(false);
        }

        var decision = await DecideAgainIfChangedAsync(statement, ct).ConfigureAwait(false);
        if (decision.IsAllowed)
        {
            lock (_extendedLock)
            {
                _awaitingTarget.Add(new PendingExtended(PendingExtendedKind.Bind, portalName, statement, _cyclesSent));
            }
        }

        return decision;
    }

    /// <summary>
    /// The decision for executing <paramref name="portalName"/>: the Parse decision, or a new one when the
    /// policy version changed since. A portal this session did not bind (a cursor opened by DECLARE, say) is refused.
    /// </summary>
    private async ValueTask<Authorized> DecideExecuteAsync(string portalName, CancellationToken ct)
    {
        var statement = await ResolveOnceAnsweredAsync(portalName, PendingExtendedKind.Bind, _portals, ct).ConfigureAwait(false);
        if (statement is null)
        {
            return new Authorized(await AuditedRefusalAsync(GatewayRefusal(UnknownStatementRule, $"portal \"{portalName}\" cannot be executed: {NotPrepared}"), null).ConfigureAwait(false), null);
        }

        var decision = await DecideAgainIfChangedAsync(statement, ct).ConfigureAwait(false);
        decision = await RefreshMaskingAsync(statement, decision, ct).ConfigureAwait(false); // PostgresSession.Masking.cs
        if (decision.IsAllowed && await OverLimitAsync(statement.Sql).ConfigureAwait(false) is { } limited) // the agent's limits (PostgresSession.Limits.cs)
        {
            decision = limited;
        }

        return new Authorized(decision, statement.Record, statement.Masking) { Sql = statement.Sql }; // a read's Parse record may not be durable yet: its answer waits for it
    }

    /// <summary>
    /// The statement the target will use under <paramref name="name"/> (null: none the gateway can vouch for), once
    /// every earlier cycle that changes the name is answered. The client loop alone waits; answers keep flowing.
    /// </summary>
    private async ValueTask<PreparedStatementDecision?> ResolveOnceAnsweredAsync(
        string name, PendingExtendedKind create, Dictionary<string, PreparedStatementDecision> confirmed, CancellationToken ct)
    {
        while (true)
        {
            Task answered;
            lock (_extendedLock)
            {
                if (Resolve(name, create, confirmed, out var statement) != Resolution.AwaitEarlierCycle)
                {
                    return statement;
                }

                // Taken with the resolution, under the lock: an answer arriving right after it still wakes this loop.
                _cycleAnswered ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                answered = _cycleAnswered.Task;
            }

            // The messages of that cycle may still sit in this loop's upstream buffer.
            await _upstream!.Output.FlushAsync(ct).ConfigureAwait(false);
            await answered.WaitAsync(ct).ConfigureAwait(false);
        }
    }

    private const string NotPrepared =
        "it was not prepared through the gateway in this session (or was closed); statements prepared by SQL PREPARE and cursors opened by DECLARE cannot be used by name";

    /// <summary>
    /// What the target will hold under <paramref name="name"/> when the message being sent reaches it: the latest
    /// Parse/Bind of this cycle, else the confirmed entry; or that an earlier cycle must be answered first.
    /// </summary>
    private Resolution Resolve(
        string name, PendingExtendedKind create, Dictionary<string, PreparedStatementDecision> confirmed, out PreparedStatementDecision? statement)
    {
        statement = null;
        switch (_awaitingTarget.Find(name, portal: create == PendingExtendedKind.Bind, _cyclesSent, out var latest))
        {
            case PendingChange.EarlierCycle:
                // Whether it took effect is known only from the target's answer (42P05, an error earlier in
                // that cycle, a SQL PREPARE of the same name in a DEALLOCATE's query): wait for it.
                return Resolution.AwaitEarlierCycle;
            case PendingChange.ThisCycle:
                statement = latest.Kind == create ? latest.Statement : null; // a Close, DEALLOCATE or DISCARD leaves none
                break;
            default:
                confirmed.TryGetValue(name, out statement);
                break;
        }

        return statement is null ? Resolution.Unknown : Resolution.Known;
    }

    /// <summary>A Close is recorded as awaiting its CloseComplete.</summary>
    private void ForgetClosed(byte kind, string name)
    {
        var pending = kind switch
        {
            (byte)'S' => PendingExtendedKind.CloseStatement,
            (byte)'P' => PendingExtendedKind.ClosePortal,
            _ => (PendingExtendedKind?)null,
        };
        if (pending is { } closing)
        {
            lock (_extendedLock)
            {
                _awaitingTarget.Add(new PendingExtended(closing, name, null, _cyclesSent));
            }
        }
    }

    /// <summary>A Query that deallocates prepared statements (DEALLOCATE, DISCARD): every statement is forgotten, now and when it is answered.</summary>
    private void ForgetStatementsIfDeallocating(string sql)
    {
        if (!_services.Statements.DeallocatesPreparedStatements(sql))
        {
            return;
        }

        lock (_extendedLock)
        {
            _prepared.Clear();
            _awaitingTarget.Add(new PendingExtended(PendingExtendedKind.ForgetStatements, "", null, _cyclesSent));
        }
    }

    /// <summary>A Query, Sync or injected refusal Query was sent: the target answers it with ReadyForQuery.</summary>
    private void EndCycle()
    {
        lock (_extendedLock)
        {
            _awaitingTarget.Add(new PendingExtended(PendingExtendedKind.CycleEnd, "", null, _cyclesSent));
        }

        _cyclesSent++;
    }

    /// <summary>Applies the target's answer to the tables (upstream loop): confirmations, errors, and the end of a cycle.</summary>
    private void TrackStatementAnswer(in PgMessage message)
    {
        switch ((BackendMessageCode)message.Code)
        {
            case BackendMessageCode.ParseComplete:
                lock (_extendedLock)
                {
                    var parsed = Confirm(PendingExtendedKind.Parse);
                    _prepared[parsed.Name] = parsed.Statement!;
                }

                return;
            case BackendMessageCode.BindComplete:
                lock (_extendedLock)
                {
                    var bound = Confirm(PendingExtendedKind.Bind);
                    _portals[bound.Name] = bound.Statement!;
                }

                return;
            case BackendMessageCode.CloseComplete:
                lock (_extendedLock)
                {
                    var closed = Confirm(PendingExtendedKind.CloseStatement, PendingExtendedKind.ClosePortal);
                    (closed.Kind == PendingExtendedKind.CloseStatement ? _prepared : _portals).Remove(closed.Name);
                }

                return;
            case BackendMessageCode.ErrorResponse:
                // The target skips the rest of the cycle: nothing of it takes effect.
                lock (_extendedLock)
                {
                    DropUntilCycleEnd(includingEnd: false);
                }

                return;
            case BackendMessageCode.ReadyForQuery:
                lock (_extendedLock)
                {
                    DropUntilCycleEnd(includingEnd: true);

                    // Outside a transaction block the target holds no portals (the gateway tracks no WITH HOLD cursor).
                    if (BackendMessages.ReadReadyForQuery(message.Payload) == (byte)'I')
                    {
                        _portals.Clear();
                    }
                }

                return;
        }
    }

    private PendingExtended Confirm(PendingExtendedKind expected, PendingExtendedKind alternative = PendingExtendedKind.CycleEnd)
    {
        if (!_awaitingTarget.TryPeek(out var head) || (head.Kind != expected && head.Kind != alternative) || head.Kind == PendingExtendedKind.CycleEnd)
        {
            throw new PgProtocolException(PgSqlState.ProtocolViolation, $"the target confirmed a {expected} the gateway did not send");
        }

        return _awaitingTarget.Take();
    }

    private void DropUntilCycleEnd(bool includingEnd)
    {
        while (_awaitingTarget.TryPeek(out var head) && (head.Kind != PendingExtendedKind.CycleEnd || includingEnd))
        {
            _awaitingTarget.Take();
            if (head.Kind == PendingExtendedKind.ForgetStatements)
            {
                _prepared.Clear(); // what it deallocated may include statements confirmed after it was sent
            }
            else if (head.Kind == PendingExtendedKind.CycleEnd)
            {
                _cycleAnswered?.TrySetResult();
                _cycleAnswered = null;
                return;
            }
        }
    }

    private async ValueTask<Decision> DecideAgainIfChangedAsync(PreparedStatementDecision statement, CancellationToken ct)
    {
        var decision = statement.Decision;
        var known = _services.Statements.PolicyVersions?.Version ?? 0;

        // Also when its Parse record could not be written: its executions are decided and recorded (waited for) anew.
        if (decision.IsAllowed && (known > statement.CheckedVersion || statement.Record is { Durable.IsFaulted: true }))
        {
            (decision, _, var masking) = await AuthorizeAsync(StatementSource.Parse, statement.Sql, ct: ct).ConfigureAwait(false);
            statement.Masking = masking;
            _services.Statements.PolicyVersions?.Observe(decision.PolicyVersion);
            statement.Decision = decision;
            statement.Record = null;
            statement.CheckedVersion = Math.Max(known, decision.PolicyVersion);
        }
        else if (decision.Effect == DecisionEffect.Deny)
        {
            // The Parse's refusal, repeated: its record says Parse; this attempt is recorded too.
            await AuditedRefusalAsync(decision, statement.Sql).ConfigureAwait(false);
        }

        return decision;
    }

    /// <summary>
    /// Records a refusal the edge made by its own bookkeeping rather than by a decision (an unknown name, a limit, a
    /// repeated refusal) and returns it. One call per refusal, awaited so the session's chain keeps statement order;
    /// the refusal stands when it cannot be recorded. Not for refusals while the cluster or the audit store is unavailable.
    /// </summary>
    private async ValueTask<Decision> AuditedRefusalAsync(Decision refusal, string? sql)
    {
        try
        {
            var summary = sql is null ? SqlAction.Opaque : _services.Statements.Summarize(sql);
            var refused = new EdgeRefusal(summary, refusal, GatewayRefusalState(refusal) ?? "42501");
            if (!await _edge!.RecordRefusalAsync(refused).ConfigureAwait(false))
            {
                LogRefusalNotAudited(_logger, _session!.SessionId, refusal.Rule, "the audit store could not take it");
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogRefusalNotAudited(_logger, _session!.SessionId, refusal.Rule, e.Message);
        }

        return refusal;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionId}: a refusal by {Rule} was not audited: {Error}")]
    private static partial void LogRefusalNotAudited(ILogger logger, string sessionId, string rule, string error);

    /// <summary>A refusal by the edge's own bookkeeping; it names the newest policy version this edge knows (not "version 0").</summary>
    private Decision GatewayRefusal(string rule, string reason) => new(DecisionEffect.Deny, rule, reason, _services.Statements.PolicyVersions?.Version ?? 0, 0);

    /// <summary>The SQLSTATE of a refusal the gateway makes itself (not the policy), or null for a policy decision.</summary>
    private static string? GatewayRefusalState(Decision decision) => decision.Rule switch
    {
        StatementLimitRule => "54000",
        UnknownStatementRule => "42501",
        GatewayRules.ApprovalWithdrawn => "57014",
        GatewayRules.RateLimit or GatewayRules.RowBudget => "53400",
        _ => null,
    };

    /// <summary>
    /// Refuses a Bind or Execute in its place in the pipeline: a Parse of the unnamed statement the target
    /// rejects, so the error arrives where the refused message's answer would have, and the target skips to Sync.
    /// </summary>
    private void InjectDeniedExtended(IBufferWriter<byte> upstream, Decision decision) => InjectDeniedParse(upstream, "", decision);
}
