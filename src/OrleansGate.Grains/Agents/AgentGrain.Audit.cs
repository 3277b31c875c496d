using Microsoft.Extensions.Logging;
using OrleansGate.Audit;
using OrleansGate.Grains.Audit;
using OrleansGate.Model;

namespace OrleansGate.Grains.Agents;

/// <summary>
/// Audit of what this agent grain decides: revocations in the agent's own chain (<see cref="AuditChainIds.Agent"/>),
/// refused logins in the login chain of the edge that asked (<see cref="ILoginAuditGrain"/>).
/// </summary>
/// <remarks>
/// Security over audit: a revocation takes effect even while the audit store is down. Its record is persisted
/// with the revocation (<see cref="AgentState.UnauditedEvents"/>) and written once the store answers, retried
/// with backoff by a timer that keeps the grain active; one Error line per outage says it is late, one
/// Information line when it is written. At least once: if the store acknowledged a record but the state write
/// that forgets it failed, it is written again (same time, action and reason).
/// </remarks>
public sealed partial class AgentGrain
{
    private static readonly TimeSpan FirstAuditRetry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxAuditRetry = TimeSpan.FromMinutes(1);

    /// <summary>How long a refusal waits for the login audit grain to queue its record; the client already has its answer.</summary>
    private static readonly TimeSpan LoginAuditWait = TimeSpan.FromSeconds(2);

    private AuditChain? _auditChain;
    private IGrainTimer? _auditRetry;
    private TimeSpan _auditRetryDelay = FirstAuditRetry;
    private bool _auditLate;

    // Resumed: the agent's chain outlives any one activation, so its head is read from the store on the first append.
    private AuditChain AgentChain => _auditChain ??= AuditChain.Resume(audit, AuditChainIds.Agent(this.GetPrimaryKeyString()));

    /// <summary>Adds the event to the persisted queue; the caller's state write makes it durable with the change itself.</summary>
    private AgentAuditEvent QueueAuditEvent(string action, string reason, string? tokenId)
    {
        var e = new AgentAuditEvent { At = time.GetUtcNow(), Action = action, Reason = reason, TokenId = tokenId };
        state.State.UnauditedEvents.Add(e);
        return e;
    }

    /// <summary>Writes the queued events in order; on failure keeps them and schedules a retry. Never throws for the audit store.</summary>
    private async Task FlushAuditAsync()
    {
        var written = 0;
        var events = state.State.UnauditedEvents;
        try
        {
            while (events.Count > 0)
            {
                var e = events[0];
                await AgentChain.AppendAsync(AuditRecords.Revocation(e.At, this.GetPrimaryKeyString(), e.TokenId, e.Action, e.Reason, e.SessionsClosed));
                events.RemoveAt(0);
                written++;
            }
        }
        catch (AuditUnavailableException ex)
        {
            if (!_auditLate)
            {
                _auditLate = true;
                LogRevocationNotAudited(logger, this.GetPrimaryKeyString(), events.Count, ex.Message);
            }

            ScheduleAuditRetry(_auditRetryDelay);
            _auditRetryDelay = _auditRetryDelay * 2 > MaxAuditRetry ? MaxAuditRetry : _auditRetryDelay * 2;
        }

        if (events.Count == 0)
        {
            if (_auditLate)
            {
                LogRevocationAuditedLate(logger, this.GetPrimaryKeyString(), written);
            }

            _auditLate = false;
            _auditRetryDelay = FirstAuditRetry;
            _auditRetry?.Dispose();
            _auditRetry = null;
        }

        if (written > 0)
        {
            try
            {
                await WriteAsync();
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // The records are durable; only forgetting them failed, so a later activation may write them again.
                LogAuditQueueNotWritten(logger, this.GetPrimaryKeyString(), ex.Message);
            }
        }
    }

    private void ScheduleAuditRetry(TimeSpan due)
    {
        _auditRetry?.Dispose();

        // KeepAlive: an idle grain must not be collected while a revocation's record is still owed.
        _auditRetry = this.RegisterGrainTimer(_ => FlushAuditAsync(), new GrainTimerCreationOptions(due, Timeout.InfiniteTimeSpan) { KeepAlive = true });
    }

    /// <summary>Refuses a login and queues its record in the refusing edge's login chain (bounded wait; the refusal stands either way).</summary>
    private async Task<SessionRegistration> RefuseAsync(SessionInfo session, string reason, string sqlState = "28000")
    {
        var refusal = new LoginRefusal(time.GetUtcNow(), sqlState, $"session refused: {reason}", session.Agent.Subject, session.ClientAddress, session.EdgeNode)
        {
            Issuer = session.Agent.Issuer,
            Subject = session.Agent.Subject,
            TokenId = session.TokenId,
            Target = session.Target,
        };
        try
        {
            await GrainFactory.GetGrain<ILoginAuditGrain>(session.EdgeNode).Record(refusal).WaitAsync(LoginAuditWait, time);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogLoginRefusalNotQueued(logger, this.GetPrimaryKeyString(), e.Message);
        }

        return new SessionRegistration(false, reason, state.State.TotalLogins, sqlState);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Agent {Agent}: revocation in force but NOT YET AUDITED ({Pending} record(s) waiting): {Error}; retried with backoff until the audit store answers")]
    private static partial void LogRevocationNotAudited(ILogger logger, string agent, int pending, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Agent {Agent}: {Written} late revocation record(s) written to the audit log")]
    private static partial void LogRevocationAuditedLate(ILogger logger, string agent, int written);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Agent {Agent}: audited revocations could not be removed from the grain's state ({Error}); they may be recorded twice")]
    private static partial void LogAuditQueueNotWritten(ILogger logger, string agent, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Agent {Agent}: a refused login could not be queued for audit: {Error}")]
    private static partial void LogLoginRefusalNotQueued(ILogger logger, string agent, string error);
}
