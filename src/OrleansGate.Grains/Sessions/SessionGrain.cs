using Microsoft.Extensions.Logging;
using Orleans.Placement;
using OrleansGate.Grains.Audit;
using OrleansGate.Grains.Policy;
using OrleansGate.Model;

namespace OrleansGate.Grains.Sessions;

/// <summary>
/// Per-connection state. Placed on the silo of the edge that calls it, so the per-statement
/// <see cref="Authorize"/> call normally stays in-process (DESIGN §7: one local grain call per statement).
/// </summary>
[PreferLocalPlacement]
public sealed partial class SessionGrain(
    IAuditSink audit, AuditBacklog backlog, PolicyDecider policy, StatementRefusalLog refusals, TimeProvider time, ILogger<SessionGrain> logger) : Grain, ISessionGrain
{
    private readonly CompletionLedger _completions = new();
    private SessionInfo? _session;

    // The session's audit hash chain (Grains/Audit): advanced only by records that are durable.
    private AuditChain? _audit;

    public async Task Open(SessionInfo session)
    {
        _session = session;
        _audit = AuditChain.Start(audit, session.SessionId);
        await _audit.AppendAsync(new AuditRecord(AuditEventKind.Login, time.GetUtcNow(), session, null, null, null));
    }

    public async Task<Decision> Authorize(StatementRequest request)
    {
        if (_session is null)
        {
            return new Decision(DecisionEffect.Deny, "gateway:no-session", "the session is not open", 0, 0);
        }

        var statement = request.Statement;
        // Decided by this silo's cached policy (Grains/Policy): no call leaves the silo.
        var decision = await policy.DecideAsync(_session, request);
        try
        {
            // Earlier statements' completions ride in the same atomic append as this statement's record.
            var record = AuditRecords.Statement(time.GetUtcNow(), _session, statement, decision);
            var completions = _completions.New(request.Completions);
            var sequence = completions.Count == 0
                ? await _audit!.AppendAsync(record)
                : await _audit!.AppendAsync([.. completions.Select(c => CompletionRecord(_session, c)), record]);
            _completions.Written(completions);
            if (refusals.Recovered() is { } ended)
            {
                LogRefusalsEnded(logger, ended.Failures, ended.Duration);
            }

            return decision with { AuditSequence = sequence };
        }
        catch (AuditUnavailableException e)
        {
            // Fail closed: a statement whose record is not durable never reaches the upstream.
            var refused = refusals.Refused();
            if (refused.Kind == OutageLogKind.First)
            {
                LogAuditUnavailable(logger, _session.SessionId, e.Message);
            }
            else if (refused.Kind == OutageLogKind.Summary)
            {
                LogRefusalsContinue(logger, refused.Failures, refused.Duration, e.Message);
            }

            return new Decision(DecisionEffect.Unavailable, "gateway:audit-unavailable", e.Message, decision.PolicyVersion, 0);
        }
    }

    public async Task<bool> Refused(EdgeRefusal refusal)
    {
        ArgumentNullException.ThrowIfNull(refusal);
        if (_session is not { } session)
        {
            return false;
        }

        try
        {
            await _audit!.AppendAsync(AuditRecords.EdgeRefusal(time.GetUtcNow(), session, refusal));
            return true;
        }
        catch (AuditUnavailableException e)
        {
            // Counted with the statements refused for the same reason, so an outage logs a summary, not a line each.
            if (refusals.Refused().Kind == OutageLogKind.First)
            {
                LogAuditUnavailable(logger, session.SessionId, e.Message);
            }

            return false;
        }
    }

    public async Task<bool> Completed(IReadOnlyList<StatementCompletion> completions)
    {
        if (_session is not { } session)
        {
            return false;
        }

        var fresh = _completions.New(completions);
        try
        {
            if (completions.Count == 0)
            {
                // Nothing to write: the edge asks whether the audit store answers again.
                await audit.ProbeAsync();
                return true;
            }

            if (fresh.Count > 0)
            {
                await _audit!.AppendAsync([.. fresh.Select(c => CompletionRecord(session, c))]);
                _completions.Written(fresh);
            }

            return true;
        }
        catch (AuditUnavailableException e)
        {
            // Nothing of them was written; the edge keeps them and refuses executions until they are.
            LogCompletionsNotWritten(logger, session.SessionId, completions.Count, e.Message);
            return false;
        }
    }

    public async Task Close(string reason, IReadOnlyList<StatementCompletion> completions)
    {
        if (_session is { } session)
        {
            LogClosed(logger, session.SessionId, reason);
            var logout = new AuditRecord(AuditEventKind.Logout, time.GetUtcNow(), session, null, null, null) { Detail = reason };
            AuditRecord[] records = [.. _completions.New(completions).Select(c => CompletionRecord(session, c)), logout];
            try
            {
                await _audit!.AppendAsync(records);
            }
            catch (AuditUnavailableException e)
            {
                // Written once the store answers, with the times they happened at: nothing waits for them any more.
                backlog.Add(_audit!, records);

                // Counted with the refusals: during an outage every closing session would log one line otherwise.
                if (refusals.Refused().Kind == OutageLogKind.First)
                {
                    LogLogoutNotAudited(logger, session.SessionId, e.Message);
                }
            }
        }

        _session = null;
        _audit = null;
        DeactivateOnIdle();
    }

    /// <summary>A completion record: linked to its statement record by that record's number in this session's chain.</summary>
    private static AuditRecord CompletionRecord(SessionInfo session, StatementCompletion completion) =>
        new(AuditEventKind.Completion, completion.At, session, null, null, null)
        {
            CompletesSessionSeq = completion.StatementSessionSeq,
            Rows = completion.Rows,
            DurationMicroseconds = completion.DurationMicroseconds,
            Outcome = completion.Outcome,
        };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionId}: {Count} completion records not written, the edge keeps them: {Error}")]
    private static partial void LogCompletionsNotWritten(ILogger logger, string sessionId, int count, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit still unavailable: {Count} statements refused on this silo in {Duration} ({Error}); next summary in a minute")]
    private static partial void LogRefusalsContinue(ILogger logger, long count, TimeSpan duration, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit available again: {Count} statements were refused on this silo over {Duration}")]
    private static partial void LogRefusalsEnded(ILogger logger, long count, TimeSpan duration);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId} closed: {Reason}")]
    private static partial void LogClosed(ILogger logger, string sessionId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionId}: logout not audited yet, the audit store is unavailable ({Error}); it is written when the store answers (further ones are summarised with the refusals)")]
    private static partial void LogLogoutNotAudited(ILogger logger, string sessionId, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionId}: audit unavailable, statement refused: {Error} (further refusals on this silo are summarised once a minute)")]
    private static partial void LogAuditUnavailable(ILogger logger, string sessionId, string error);
}
