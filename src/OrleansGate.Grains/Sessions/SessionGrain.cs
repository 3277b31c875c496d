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
public sealed partial class SessionGrain(IAuditSink audit, PolicyDecider policy, TimeProvider time, ILogger<SessionGrain> logger) : Grain, ISessionGrain
{
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
            var record = AuditRecords.Statement(time.GetUtcNow(), _session, statement, decision);
            var sequence = await _audit!.AppendAsync(record);
            return decision with { AuditSequence = sequence };
        }
        catch (AuditUnavailableException e)
        {
            // Fail closed: a statement whose record is not durable never reaches the upstream.
            LogAuditUnavailable(logger, _session.SessionId, e.Message);
            return new Decision(DecisionEffect.Unavailable, "gateway:audit-unavailable", e.Message, decision.PolicyVersion, 0);
        }
    }

    public async Task Close(string reason)
    {
        if (_session is { } session)
        {
            LogClosed(logger, session.SessionId, reason);
            try
            {
                await _audit!.AppendAsync(new AuditRecord(AuditEventKind.Logout, time.GetUtcNow(), session, null, null, null) { Detail = reason });
            }
            catch (AuditUnavailableException e)
            {
                LogAuditUnavailable(logger, session.SessionId, e.Message);
            }
        }

        _session = null;
        _audit = null;
        DeactivateOnIdle();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId} closed: {Reason}")]
    private static partial void LogClosed(ILogger logger, string sessionId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionId}: audit unavailable, statement refused: {Error}")]
    private static partial void LogAuditUnavailable(ILogger logger, string sessionId, string error);
}
