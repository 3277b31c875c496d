using Microsoft.Extensions.Logging;
using Orleans.Placement;
using OrleansGate.Grains.Audit;
using OrleansGate.Model;

namespace OrleansGate.Grains.Sessions;

/// <summary>
/// Per-connection state. Placed on the silo of the edge that calls it, so the per-statement
/// <see cref="Authorize"/> call normally stays in-process (DESIGN §7: one local grain call per statement).
/// </summary>
[PreferLocalPlacement]
public sealed partial class SessionGrain(IAuditSink audit, TimeProvider time, ILogger<SessionGrain> logger) : Grain, ISessionGrain
{
    /// <summary>The walking skeleton's policy: every statement allowed, but every one decided and audited.</summary>
    private static readonly Decision AllowAll = new(DecisionEffect.Allow, "allow-all", "no policy is loaded yet: every statement is allowed", PolicyVersion: 0, AuditSequence: 0);

    private SessionInfo? _session;

    public async Task Open(SessionInfo session)
    {
        _session = session;
        await audit.AppendAsync(new AuditRecord(AuditEventKind.Login, time.GetUtcNow(), session, null, null, null));
    }

    public async Task<Decision> Authorize(StatementRequest request)
    {
        if (_session is null)
        {
            return new Decision(DecisionEffect.Deny, "gateway:no-session", "the session is not open", 0, 0);
        }

        var statement = request.Statement;
        var decision = Decide(request);
        try
        {
            var record = new AuditRecord(
                AuditEventKind.Statement, time.GetUtcNow(), _session, NullIfEmpty(statement.Fingerprint), NullIfEmpty(statement.NormalizedSql), decision);
            var sequence = await audit.AppendAsync(record);
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
                await audit.AppendAsync(new AuditRecord(AuditEventKind.Logout, time.GetUtcNow(), session, null, null, null));
            }
            catch (AuditUnavailableException e)
            {
                LogAuditUnavailable(logger, session.SessionId, e.Message);
            }
        }

        _session = null;
        DeactivateOnIdle();
    }

    /// <summary>Built-in rules that hold whatever the policy says; then the policy (allow-all until the policy engine lands).</summary>
    private static Decision Decide(StatementRequest request)
    {
        if (request.Source == StatementSource.FunctionCall)
        {
            return new Decision(DecisionEffect.Deny, "gateway:function-call", "the function-call message names a function by OID, out of the policy's sight, and is not allowed", 0, 0);
        }

        if (!request.Statement.Parsed)
        {
            return new Decision(DecisionEffect.Deny, "gateway:unparsable", $"the statement could not be parsed ({request.Statement.ParseError}); what cannot be parsed is refused, never guessed", 0, 0);
        }

        return AllowAll;
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId} closed: {Reason}")]
    private static partial void LogClosed(ILogger logger, string sessionId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionId}: audit unavailable, statement refused: {Error}")]
    private static partial void LogAuditUnavailable(ILogger logger, string sessionId, string error);
}
