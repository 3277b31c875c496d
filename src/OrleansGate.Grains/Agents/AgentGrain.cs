using Microsoft.Extensions.Logging;
using OrleansGate.Audit;
using OrleansGate.Grains.Audit;
using OrleansGate.Model;

namespace OrleansGate.Grains.Agents;

/// <summary>
/// The single owner of one agent identity's cluster-wide state: revocations, and the live sessions with the
/// terminator of the edge that holds each one (a session is pinned to its edge and dies with it).
/// </summary>
/// <remarks>
/// The live-session list is persisted, so a revocation still reaches every session after the silo that hosted this
/// grain died and the grain came back elsewhere. It costs no extra write per login: the list rides on the write each
/// login already makes (login count, last login). Logouts are not written on their own; the next write carries them,
/// so storage holds a superset of what is live, and edges ignore ids they no longer hold; the entries of an edge that is
/// gone are dropped by the edge checks (AgentGrain.Liveness.cs), or else a day after their token expired. The
/// alternatives were worse: broadcasting revocations to every edge needs an edge registry that must itself survive silo loss, and
/// edges re-registering their sessions on membership change leave a window in which a revocation misses them.
/// </remarks>
public sealed partial class AgentGrain(
    [PersistentState("agent", GrainStorage.Name)] IPersistentState<AgentState> state,
    IAuditSink audit,
    TimeProvider time,
    ILogger<AgentGrain> logger) : Grain, IAgentGrain
{
    /// <summary>No session outlives its token by this much, so older entries are of edges that died holding them.</summary>
    private static readonly TimeSpan StaleAfterExpiry = TimeSpan.FromDays(1);

    /// <summary>Edges accept a token until exp plus their clock skew (at most five minutes), so a spent token id is kept that long.</summary>
    private static readonly TimeSpan MaxClockSkew = TimeSpan.FromMinutes(5);

    /// <summary>An edge that does not answer within this is treated as gone, so one dead edge cannot stall a revocation.</summary>
    private static readonly TimeSpan EdgeTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Sessions removed in memory since the last write.</summary>
    private bool _unwrittenLogouts;

    /// <summary>A revocation this activation holds but could not store: the grain must not be let go idle while it does.</summary>
    private bool _revocationNotStored;

    private Dictionary<string, AgentLiveSession> Sessions => state.State.Sessions;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        PruneStaleSessions(time.GetUtcNow());
        if (Sessions.Count > 0)
        {
            // Sessions registered with an earlier activation are still live: keep this one until they end.
            LogSessionsRestored(logger, this.GetPrimaryKeyString(), Sessions.Count);
            DelayDeactivation(TimeSpan.FromDays(1));
            ScheduleEdgeChecks(); // some may be of edges that died meanwhile (AgentGrain.Liveness.cs)
        }

        if (state.State.UnauditedEvents.Count > 0)
        {
            // Revocations a previous activation could not audit: try again now, and with backoff after that.
            ScheduleAuditRetry(TimeSpan.Zero);
        }

        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (!_unwrittenLogouts && !_unwrittenRowCounts)
        {
            return;
        }

        try
        {
            // Best effort: if this write is lost, the next activation merely sees sessions that edges no longer hold (and
            // rows budgets count from their last write).
            await state.WriteStateAsync();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogLogoutsNotWritten(logger, this.GetPrimaryKeyString(), e.Message);
        }
    }

    public async Task<SessionRegistration> RegisterSession(SessionInfo session, ISessionTerminator terminator, TokenReuse reuse, SessionLimit? limit)
    {
        var now = time.GetUtcNow();
        if (state.State.Revoked)
        {
            return await RefuseAsync(session, $"agent revoked: {state.State.RevokedReason}");
        }

        if (session.TokenId is { } jti && state.State.RevokedTokens.TryGetValue(jti, out var until) && until > now)
        {
            return await RefuseAsync(session, "token revoked");
        }

        // The cluster-wide revoked-token set covers token ids revoked before their first login (leaked, never used).
        // The directory call is the one every login already made, moved before admission.
        if (await new AgentDirectory(GrainFactory)
            .Record(this.GetPrimaryKeyString(), session.Agent.Issuer, session.TokenId, session.TokenExpires))
        {
            return await RefuseAsync(session, "token revoked");
        }

        if (Sessions.TryGetValue(session.SessionId, out var registered) && registered.Session.TokenId == session.TokenId)
        {
            // The edge asks again when a call failed on the way (a silo stopping, a lost answer, a failed write): the
            // session it names is this one, already admitted. Admitted again once stored, never counted twice, and not
            // refused as a replay of its own token.
            Sessions[session.SessionId] = new AgentLiveSession(session, terminator);
            await WriteAsync();
            return new SessionRegistration(Admitted: true, RefusalReason: null, TotalLogins: state.State.TotalLogins);
        }

        PruneUsedTokens(now);
        if (await ReplayRefusalAsync(session, reuse) is { } replay)
        {
            LogReplayRefused(logger, this.GetPrimaryKeyString(), replay);
            return await RefuseAsync(session, replay);
        }

        if (await SessionLimitRefusalAsync(limit, session.Agent.Subject) is { } full) // AgentGrain.Limits.cs
        {
            LogReplayRefused(logger, this.GetPrimaryKeyString(), full);
            return await RefuseAsync(session, full, "53300");
        }

        if (reuse == TokenReuse.SingleUse)
        {
            // Written with this login's own write: the token stays spent even if this silo dies right after.
            state.State.UsedTokens[session.TokenId!] = session.TokenExpires;
        }

        Sessions[session.SessionId] = new AgentLiveSession(session, terminator);
        DelayDeactivation(TimeSpan.FromDays(1));
        ScheduleEdgeChecks();
        state.State.TotalLogins++;
        state.State.LastLoginAt = now;
        state.State.LastEdgeNode = session.EdgeNode;
        PruneRevokedTokens(now);
        PruneStaleSessions(now);
        await WriteAsync();
        LogSessionRegistered(logger, session.SessionId, session.Target, Sessions.Count);
        return new SessionRegistration(Admitted: true, RefusalReason: null, TotalLogins: state.State.TotalLogins);
    }

    public Task UnregisterSession(string sessionId)
    {
        // Not written now: a logout costs no storage round trip (see the remarks on the class).
        ForgetSessions([sessionId]);
        return Task.CompletedTask;
    }

    /// <summary>The sessions listed are those their edges hold, or whose edges did not answer (listed as unconfirmed): asked first.</summary>
    public async Task<AgentStatus> GetStatus()
    {
        await CheckEdgesUnlessFreshAsync(); // AgentGrain.Liveness.cs
        return new AgentStatus(
            this.GetPrimaryKeyString(),
            state.State.Revoked,
            state.State.RevokedReason,
            [.. state.State.RevokedTokens.Keys.Order(StringComparer.Ordinal)],
            [.. Sessions.Values.Select(s => s.Session).OrderBy(s => s.OpenedAt)],
            state.State.TotalLogins,
            state.State.LastRevocationAt,
            [.. _unconfirmed.Where(Sessions.ContainsKey).Order(StringComparer.Ordinal)]);
    }

    /// <summary>Drops ended sessions from the list; the next write stores that (see the remarks on the class).</summary>
    private void ForgetSessions(IEnumerable<string> sessionIds)
    {
        foreach (var id in sessionIds)
        {
            _unwrittenLogouts |= Sessions.Remove(id);
            _unconfirmed.Remove(id);
        }

        if (Sessions.Count == 0)
        {
            ScheduleEdgeChecks();
            if (!_revocationNotStored)
            {
                // Nothing live to remember: idle deactivation may take the grain again.
                DelayDeactivation(TimeSpan.FromTicks(-1)); // negative: cancels the earlier delay
            }
        }
    }

    public async Task<int> Revoke(string reason)
    {
        state.State.Revoked = true;
        state.State.RevokedReason = reason;
        state.State.RevokedAt = time.GetUtcNow();
        state.State.LastRevocationAt = state.State.RevokedAt;
        var audited = QueueAuditEvent("revoke", reason, tokenId: null);
        var notWritten = await TryWriteRevocationAsync();
        LogRevoked(logger, this.GetPrimaryKeyString(), reason, Sessions.Count);
        audited.SessionsClosed = await TerminateAsync(_ => true, $"agent revoked: {reason}");
        await FlushAuditAsync();
        ThrowIfNotWritten(notWritten, audited.SessionsClosed.Value);
        return audited.SessionsClosed.Value;
    }

    public async Task Unrevoke()
    {
        state.State.Revoked = false;
        state.State.RevokedReason = null;
        state.State.RevokedAt = null;
        QueueAuditEvent("unrevoke", "revocation lifted", tokenId: null);
        await WriteAsync();
        await FlushAuditAsync();
    }

    public async Task<int> RevokeToken(string tokenId, DateTimeOffset keepUntil, string reason)
    {
        state.State.RevokedTokens[tokenId] = keepUntil;
        state.State.LastRevocationAt = time.GetUtcNow();
        var audited = QueueAuditEvent("revoke-token", reason, tokenId);
        var notWritten = await TryWriteRevocationAsync();
        audited.SessionsClosed = await TerminateAsync(s => s.TokenId == tokenId, $"token revoked: {reason}");
        await FlushAuditAsync();
        ThrowIfNotWritten(notWritten, audited.SessionsClosed.Value);
        return audited.SessionsClosed.Value;
    }

    /// <summary>
    /// Persists a revocation, returning the failure instead of throwing it: the sessions are closed either way (fail
    /// closed), and the caller reports the failure afterwards. This activation refuses logins as revoked meanwhile.
    /// </summary>
    private async Task<Exception?> TryWriteRevocationAsync()
    {
        try
        {
            await WriteAsync();
            return null;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogRevocationNotWritten(logger, this.GetPrimaryKeyString(), e.Message);
            _revocationNotStored = true;
            return e;
        }
    }

    private void ThrowIfNotWritten(Exception? notWritten, int closed)
    {
        if (notWritten is not null)
        {
            throw new InvalidOperationException(
                $"{closed} live sessions of {this.GetPrimaryKeyString()} were closed, but the revocation could not be stored ({notWritten.Message}); " +
                "it holds only until this agent's grain is deactivated: repeat the command once the state store answers");
        }
    }

    /// <summary>
    /// Closes matching sessions, one call per edge, all edges at once; returns how many the edges actually closed.
    /// The sessions of an edge that answered, or that is definitely gone, leave the list; those of an edge that did not
    /// answer stay (unconfirmed), and each edge check sends them the revocation again (AgentGrain.Liveness.cs).
    /// </summary>
    private async Task<int> TerminateAsync(Func<SessionInfo, bool> match, string reason)
    {
        var doomed = Sessions.Values.Where(s => match(s.Session)).ToList();
        var calls = doomed
            .GroupBy(s => s.Terminator)
            .Select(async edge =>
            {
                var ids = edge.Select(s => s.Session.SessionId).ToList();
                try
                {
                    return (Closed: await edge.Key.Terminate(ids, reason).WaitAsync(EdgeTimeout, time), Over: ids);
                }
                catch (Exception e) when (IsDefinitelyGone(e))
                {
                    return (Closed: 0, Over: ids);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    LogEdgeUnreachable(logger, edge.First().Session.EdgeNode, e.Message);
                    _unconfirmed.UnionWith(ids);
                    return (Closed: 0, Over: []);
                }
            });
        var results = await Task.WhenAll(calls);
        ForgetSessions(results.SelectMany(r => r.Over));
        return results.Sum(r => r.Closed);
    }

    private async Task WriteAsync()
    {
        await state.WriteStateAsync();
        _unwrittenLogouts = false;
        _unwrittenRowCounts = false;
        _revocationNotStored = false;
    }

    /// <summary>Why the issuer's reuse rule refuses this login, or null. The agent grain is the one place that sees every login of the token.</summary>
    private async Task<string?> ReplayRefusalAsync(SessionInfo session, TokenReuse reuse)
    {
        if (reuse == TokenReuse.Allowed)
        {
            return null;
        }

        if (session.TokenId is not { Length: > 0 } jti)
        {
            return "token id (jti) missing";
        }

        if (reuse == TokenReuse.SingleUse)
        {
            return state.State.UsedTokens.ContainsKey(jti) ? "token already used (single use)" : null;
        }

        // The list may still name a session whose edge died (it never unregistered) or whose logout was not
        // written before a failover; the holding edge is asked, so an agent reconnecting after an edge crash
        // is not locked out until its token expires.
        foreach (var other in Sessions.Values.Where(s => s.Session.TokenId == jti).ToList())
        {
            switch (await IsLiveAsync(other))
            {
                case true:
                    return "token already in use by another session";
                case false:
                    ForgetSessions([other.Session.SessionId]);
                    break;
                case null:
                    // Not known: the login is let in (an unreachable edge must not lock the agent out), but the entry
                    // stays so that a revocation still tries it (AgentGrain.Liveness.cs).
                    break;
            }
        }

        return null;
    }

    /// <summary>Whether the edge still holds the session; null when the edge did not answer and is not known to be gone.</summary>
    private async Task<bool?> IsLiveAsync(AgentLiveSession session)
    {
        try
        {
            var live = await session.Terminator.Live([session.Session.SessionId]).WaitAsync(EdgeTimeout, time);
            return live.Count > 0;
        }
        catch (Exception e) when (IsDefinitelyGone(e))
        {
            return false;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogEdgeUnreachable(logger, session.Session.EdgeNode, e.Message);
            return null;
        }
    }

    private void PruneUsedTokens(DateTimeOffset now)
    {
        foreach (var (jti, _) in state.State.UsedTokens.Where(t => t.Value + MaxClockSkew <= now).ToList())
        {
            state.State.UsedTokens.Remove(jti);
        }
    }

    private void PruneRevokedTokens(DateTimeOffset now)
    {
        foreach (var (jti, until) in state.State.RevokedTokens.Where(t => t.Value <= now).ToList())
        {
            state.State.RevokedTokens.Remove(jti);
        }
    }

    private void PruneStaleSessions(DateTimeOffset now)
    {
        foreach (var id in Sessions.Where(s => s.Value.Session.TokenExpires + StaleAfterExpiry <= now).Select(s => s.Key).ToList())
        {
            Sessions.Remove(id);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId} registered for target {Target}; {Live} live")]
    private static partial void LogSessionRegistered(ILogger logger, string sessionId, string target, int live);

    [LoggerMessage(Level = LogLevel.Information, Message = "Agent {Agent} activated with {Live} session(s) registered by an earlier activation")]
    private static partial void LogSessionsRestored(ILogger logger, string agent, int live);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Agent {Agent} revoked ({Reason}); closing {Live} live sessions")]
    private static partial void LogRevoked(ILogger logger, string agent, string reason, int live);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Agent {Agent}: login refused: {Reason}")]
    private static partial void LogReplayRefused(ILogger logger, string agent, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Agent {Agent}: revocation NOT STORED ({Error}); closing its sessions anyway, the operator is told to repeat it")]
    private static partial void LogRevocationNotWritten(ILogger logger, string agent, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Edge {Edge} could not be told to close sessions: {Error}")]
    private static partial void LogEdgeUnreachable(ILogger logger, string edge, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Agent {Agent}: ended sessions could not be written at deactivation: {Error}")]
    private static partial void LogLogoutsNotWritten(ILogger logger, string agent, string error);
}
