using Microsoft.Extensions.Logging;
using OrleansGate.Audit;
using OrleansGate.Edge.Decisions;
using OrleansGate.Model;
using OrleansGate.Policy.Model;

namespace OrleansGate.Edge.Sessions;

/// <summary>
/// One agent session on this edge, whatever the protocol: who it is, the decisions on its requests (made here, with the
/// edge's copy of the policy) and its audit chain (written in order, on this node's audit store). A protocol handler
/// (the PostgreSQL relay today; HTTP and SSH next) frames and forwards; this decides and records.
/// </summary>
/// <remarks>
/// <code>
///  login ──► OpenAsync: Login record (durable, or the login is refused)
///  request ─► AuthorizeAsync: decide ─► record (durable) ─► decision (with the record's number)
///  answer ──► Completed: completion record, written with the next record (or within a second)
///  end ────► CloseAsync: Logout record (held by the audit backlog if the store is down)
/// </code>
/// </remarks>
public sealed partial class EdgeSession
{
    private readonly EdgeSessionServices _services;
    private readonly AuditPump _audit;

    public EdgeSession(SessionInfo info, EdgeSessionServices services)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(services);
        Info = info;
        _services = services;
        Identity = PolicyIdentity.From(info.Agent);
        _audit = new AuditPump(AuditChain.Start(services.Audit, info.SessionId), services.Time, services.AuditHealth.Observed);
        services.AuditQueues.Add(_audit);
    }

    public SessionInfo Info { get; }

    /// <summary>Who the session is, as rules match it (made once per session).</summary>
    public PolicyIdentity Identity { get; }

    /// <summary>Completions that could not be written yet: executions are refused meanwhile (fail closed).</summary>
    public bool CompletionsUnwritten => _audit.HasUnwritten;

    /// <summary>
    /// Completes when another execution may run: at once, unless many completions already wait behind an append in
    /// flight (<see cref="AuditPump.RoomForLaterAsync"/>); bounds what runs unrecorded when the store fails meanwhile.
    /// </summary>
    public Task RoomForCompletionAsync() => _audit.RoomForLaterAsync();

    /// <summary>Writes the Login record; the session may not be used unless it is durable.</summary>
    /// <exception cref="AuditUnavailableException">It could not be written: refuse the login.</exception>
    public Task OpenAsync() => _audit.AppendAsync(new AuditRecord(AuditEventKind.Login, _services.Time.GetUtcNow(), Info, null, null, null));

    /// <summary>The decision on <paramref name="action"/>, made on this edge, without recording it.</summary>
    public Decision Decide(StatementSource source, SqlAction action) => _services.Decider.Decide(Identity, Info.Target, source, action);

    /// <summary>The masks of the edge's policy that apply to this session (in policy order), and that policy's version.</summary>
    public IReadOnlyList<PolicyMask> Masks(out long policyVersion) => _services.Decider.MasksFor(Identity, Info.Target, out policyVersion);

    /// <summary>
    /// Decides <paramref name="action"/> and makes its record durable; the decision carries the record's number in the
    /// chain. When the record cannot be written, the request is refused (<see cref="GatewayRules.AuditUnavailable"/>).
    /// </summary>
    public ValueTask<Decision> AuthorizeAsync(StatementSource source, SqlAction action) => RecordAsync(Decide(source, action), action);

    /// <summary>Makes the record of <paramref name="decision"/> on <paramref name="action"/> durable (see <see cref="AuthorizeAsync"/>).</summary>
    public async ValueTask<Decision> RecordAsync(Decision decision, SqlAction action)
    {
        try
        {
            var sequence = await _audit.AppendAsync(AuditRecords.Statement(_services.Time.GetUtcNow(), Info, action, decision)).ConfigureAwait(false);
            if (_services.Refusals.Recovered() is { } ended)
            {
                LogRefusalsEnded(_services.Logger, ended.Failures, ended.Duration);
            }

            return decision with { AuditSequence = sequence };
        }
        catch (AuditUnavailableException e)
        {
            // Fail closed: a statement whose record is not durable never reaches the target.
            Refused(e.Message);
            return new Decision(DecisionEffect.Unavailable, GatewayRules.AuditUnavailable, e.Message, decision.PolicyVersion, 0);
        }
    }

    /// <summary>
    /// Makes <paramref name="record"/> (a request of the HTTP path, with its decision) durable, as
    /// <see cref="RecordAsync"/> does for a statement: the decision carries the record's number, or is
    /// <see cref="DecisionEffect.Unavailable"/> when the record cannot be written (the request is then refused).
    /// </summary>
    public async ValueTask<Decision> RecordRequestAsync(AuditRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var decision = record.Decision ?? throw new ArgumentException("a request record carries its decision", nameof(record));
        try
        {
            var sequence = await _audit.AppendAsync(record).ConfigureAwait(false);
            return decision with { AuditSequence = sequence };
        }
        catch (AuditUnavailableException e)
        {
            Refused(e.Message);
            return new Decision(DecisionEffect.Unavailable, GatewayRules.AuditUnavailable, e.Message, decision.PolicyVersion, 0);
        }
    }

    /// <summary>
    /// The record of an allowed pure read, queued but not written: the read is forwarded at once and its result held by
    /// the protocol handler until <see cref="AuditPump.Deferred.Durable"/> (DESIGN §2.7: a read's record is durable
    /// before the first byte of its result reaches the agent). Its completion usually travels in the record itself.
    /// </summary>
    public AuditPump.Deferred DeferRead(Decision decision, SqlAction action) =>
        _audit.Defer(AuditRecords.Statement(_services.Time.GetUtcNow(), Info, action, decision));

    /// <summary>The record of an allowed read on the HTTP path, queued but not written (as <see cref="DeferRead"/>).</summary>
    public AuditPump.Deferred DeferRequest(AuditRecord record) => _audit.Defer(record);

    /// <summary>
    /// Writes <paramref name="records"/> now (held answers wait for them) and waits until each is settled: durable, or
    /// failed (<see cref="WithheldReason"/> says why; the answers that waited for it are then withheld and refused).
    /// </summary>
    public async ValueTask AwaitRecordsAsync(IReadOnlyList<AuditPump.Deferred> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        for (var i = 0; i < records.Count; i++)
        {
            records[i].Flush();
        }

        for (var i = 0; i < records.Count; i++)
        {
            var durable = records[i].Durable;
            if (durable.IsCompleted)
            {
                if (durable.IsFaulted)
                {
                    WithheldReason = durable.Exception!.InnerException!.Message;
                }

                continue;
            }

            try
            {
                await durable.WaitAsync(cancellationToken).ConfigureAwait(false);
                if (_services.Refusals.Recovered() is { } ended)
                {
                    LogRefusalsEnded(_services.Logger, ended.Failures, ended.Duration);
                }
            }
            catch (AuditUnavailableException e)
            {
                // Fail closed: the read ran, but nothing of its result reaches the agent.
                WithheldReason = e.Message;
                Refused(e.Message);
            }
        }
    }

    /// <summary>Why the last read whose record could not be written was withheld.</summary>
    public string? WithheldReason { get; private set; }

    /// <summary>
    /// How a request whose record is <paramref name="record"/> ended: in the record itself when it is not written yet,
    /// else as a completion record after it.
    /// </summary>
    public void Completed(AuditPump.Deferred record, StatementCompletion completion)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(completion);
        var completed = record.Record.CompletesSessionSeq is null && record.Record.Rows is null && record.Record.Outcome is null
            && record.TryReplace(record.Record with { Rows = completion.Rows, DurationMicroseconds = completion.DurationMicroseconds, Outcome = completion.Outcome, MaskedColumns = completion.Masked ?? [] });
        if (!completed)
        {
            record.After(seq => CompletionRecord(completion with { StatementSessionSeq = seq }));
        }
    }

    /// <summary>Records a refusal the protocol handler made by its own bookkeeping; false when it could not be recorded (it stands either way).</summary>
    public async ValueTask<bool> RecordRefusalAsync(EdgeRefusal refusal)
    {
        try
        {
            await _audit.AppendAsync(AuditRecords.EdgeRefusal(_services.Time.GetUtcNow(), Info, refusal)).ConfigureAwait(false);
            return true;
        }
        catch (AuditUnavailableException e)
        {
            Refused(e.Message);
            return false;
        }
    }

    /// <summary>How an executed statement ended: recorded with the session's next record, or within a second.</summary>
    public void Completed(StatementCompletion completion)
    {
        ArgumentNullException.ThrowIfNull(completion);
        _audit.AppendLater(CompletionRecord(completion));
    }

    private AuditRecord CompletionRecord(StatementCompletion completion) => new(AuditEventKind.Completion, completion.At, Info, null, null, null)
    {
        CompletesSessionSeq = completion.StatementSessionSeq,
        Rows = completion.Rows,
        DurationMicroseconds = completion.DurationMicroseconds,
        Outcome = completion.Outcome,
        MaskedColumns = completion.Masked ?? [],
        Detail = completion.Detail,
    };

    /// <summary>
    /// A request was refused because the audit store was seen failing: try what is waiting now (or, with nothing
    /// waiting, ask the store), so requests resume by themselves once it answers.
    /// </summary>
    public void RetryAudit()
    {
        if (_audit.HasUnwritten)
        {
            _audit.Retry();
            return;
        }

        _ = ProbeAsync();
    }

    /// <summary>The Logout record, with what still waits; if the store is down, the audit backlog writes them later.</summary>
    public async Task CloseAsync(string reason)
    {
        var logout = new AuditRecord(AuditEventKind.Logout, _services.Time.GetUtcNow(), Info, null, null, null) { Detail = reason };
        var unwritten = await _audit.CloseAsync(logout).ConfigureAwait(false);
        if (unwritten.Count > 0)
        {
            _services.Backlog.Add(_audit.Chain, unwritten);
            if (_services.Refusals.Refused().Kind == OutageLogKind.First)
            {
                LogLogoutNotAudited(_services.Logger, Info.SessionId);
            }
        }

        if (_audit.Dropped > 0)
        {
            LogCompletionsDropped(_services.Logger, Info.SessionId, _audit.Dropped);
        }
    }

    private async Task ProbeAsync()
    {
        try
        {
            await _services.Audit.ProbeAsync().ConfigureAwait(false);
            _services.AuditHealth.Observed(true);
        }
        catch (AuditUnavailableException)
        {
            _services.AuditHealth.Observed(false);
        }
    }

    private void Refused(string error)
    {
        var refused = _services.Refusals.Refused();
        if (refused.Kind == OutageLogKind.First)
        {
            LogAuditUnavailable(_services.Logger, Info.SessionId, error);
        }
        else if (refused.Kind == OutageLogKind.Summary)
        {
            LogRefusalsContinue(_services.Logger, refused.Failures, refused.Duration, error);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionId}: audit unavailable, statement refused: {Error} (further refusals on this node are summarised once a minute)")]
    private static partial void LogAuditUnavailable(ILogger logger, string sessionId, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit still unavailable: {Count} requests refused on this node in {Duration} ({Error}); next summary in a minute")]
    private static partial void LogRefusalsContinue(ILogger logger, long count, TimeSpan duration, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit available again: {Count} requests were refused on this node over {Duration}")]
    private static partial void LogRefusalsEnded(ILogger logger, long count, TimeSpan duration);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionId}: logout not audited yet, the audit store is unavailable; it is written when the store answers (further ones are summarised with the refusals)")]
    private static partial void LogLogoutNotAudited(ILogger logger, string sessionId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Session {SessionId}: {Count} completion records were dropped: too many could not be written while the audit store was unavailable")]
    private static partial void LogCompletionsDropped(ILogger logger, string sessionId, long count);
}
