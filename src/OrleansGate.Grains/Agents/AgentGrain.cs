using Microsoft.Extensions.Logging;
using OrleansGate.Model;

namespace OrleansGate.Grains.Agents;

/// <summary>
/// The single owner of one agent identity's cluster-wide state. Revocations persist; live sessions are
/// kept in memory with the terminator of the edge that holds each one (a session is pinned to its edge
/// and dies with it), and the grain stays active while any session is live so that list is never lost
/// to idle deactivation.
/// </summary>
public sealed partial class AgentGrain(
    [PersistentState("agent", GrainStorage.Name)] IPersistentState<AgentState> state,
    TimeProvider time,
    ILogger<AgentGrain> logger) : Grain, IAgentGrain
{
    private readonly Dictionary<string, (SessionInfo Session, ISessionTerminator Terminator)> _sessions = new(StringComparer.Ordinal);

    public async Task<SessionRegistration> RegisterSession(SessionInfo session, ISessionTerminator terminator)
    {
        var now = time.GetUtcNow();
        if (state.State.Revoked)
        {
            return new SessionRegistration(false, $"agent revoked: {state.State.RevokedReason}", state.State.TotalLogins);
        }

        if (session.TokenId is { } jti && state.State.RevokedTokens.TryGetValue(jti, out var until) && until > now)
        {
            return new SessionRegistration(false, "token revoked", state.State.TotalLogins);
        }

        _sessions[session.SessionId] = (session, terminator);
        DelayDeactivation(TimeSpan.FromDays(1));
        state.State.TotalLogins++;
        state.State.LastLoginAt = now;
        state.State.LastEdgeNode = session.EdgeNode;
        PruneRevokedTokens(now);
        await state.WriteStateAsync();
        await GrainFactory.GetGrain<IAgentDirectoryGrain>(AgentDirectoryGrain.Key).Record(this.GetPrimaryKeyString(), session.TokenId, session.TokenExpires);
        LogSessionRegistered(logger, session.SessionId, session.Target, _sessions.Count);
        return new SessionRegistration(Admitted: true, RefusalReason: null, TotalLogins: state.State.TotalLogins);
    }

    public Task UnregisterSession(string sessionId)
    {
        _sessions.Remove(sessionId);
        if (_sessions.Count == 0)
        {
            // Nothing live to remember: idle deactivation may take the grain again.
            DelayDeactivation(TimeSpan.FromTicks(-1)); // negative: cancels the earlier delay
        }

        return Task.CompletedTask;
    }

    public Task<AgentStatus> GetStatus() => Task.FromResult(new AgentStatus(
        this.GetPrimaryKeyString(),
        state.State.Revoked,
        state.State.RevokedReason,
        [.. state.State.RevokedTokens.Keys.Order(StringComparer.Ordinal)],
        [.. _sessions.Values.Select(s => s.Session)],
        state.State.TotalLogins));

    public async Task<int> Revoke(string reason)
    {
        state.State.Revoked = true;
        state.State.RevokedReason = reason;
        state.State.RevokedAt = time.GetUtcNow();
        await state.WriteStateAsync();
        LogRevoked(logger, this.GetPrimaryKeyString(), reason, _sessions.Count);
        return await TerminateAsync(_ => true, $"agent revoked: {reason}");
    }

    public async Task Unrevoke()
    {
        state.State.Revoked = false;
        state.State.RevokedReason = null;
        state.State.RevokedAt = null;
        await state.WriteStateAsync();
    }

    public async Task<int> RevokeToken(string tokenId, DateTimeOffset keepUntil, string reason)
    {
        state.State.RevokedTokens[tokenId] = keepUntil;
        await state.WriteStateAsync();
        return await TerminateAsync(s => s.TokenId == tokenId, $"token revoked: {reason}");
    }

    /// <summary>Closes matching sessions, one call per edge; an edge that cannot be reached is gone, and its sessions with it.</summary>
    private async Task<int> TerminateAsync(Func<SessionInfo, bool> match, string reason)
    {
        var doomed = _sessions.Values.Where(s => match(s.Session)).ToList();
        var calls = doomed
            .GroupBy(s => s.Terminator)
            .Select(async edge =>
            {
                try
                {
                    await edge.Key.Terminate([.. edge.Select(s => s.Session.SessionId)], reason);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    LogEdgeUnreachable(logger, edge.First().Session.EdgeNode, e.Message);
                }
            });
        await Task.WhenAll(calls);
        foreach (var s in doomed)
        {
            _sessions.Remove(s.Session.SessionId);
        }

        return doomed.Count;
    }

    private void PruneRevokedTokens(DateTimeOffset now)
    {
        foreach (var (jti, until) in state.State.RevokedTokens.Where(t => t.Value <= now).ToList())
        {
            state.State.RevokedTokens.Remove(jti);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId} registered for target {Target}; {Live} live")]
    private static partial void LogSessionRegistered(ILogger logger, string sessionId, string target, int live);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Agent {Agent} revoked ({Reason}); closing {Live} live sessions")]
    private static partial void LogRevoked(ILogger logger, string agent, string reason, int live);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Edge {Edge} could not be told to close sessions: {Error}")]
    private static partial void LogEdgeUnreachable(ILogger logger, string edge, string error);
}
