using Microsoft.Extensions.Logging;
using OrleansGate.Model;

namespace OrleansGate.Grains.Agents;

/// <summary>
/// The single owner of one agent identity's cluster-wide state. Live sessions are kept in memory:
/// a session is pinned to the edge that terminated it and dies with it, so only counters persist.
/// </summary>
public sealed partial class AgentGrain(
    [PersistentState("agent", GrainStorage.Name)] IPersistentState<AgentState> state,
    TimeProvider time,
    ILogger<AgentGrain> logger) : Grain, IAgentGrain
{
    private readonly Dictionary<string, SessionInfo> _sessions = new(StringComparer.Ordinal);

    public async Task<SessionRegistration> RegisterSession(SessionInfo session)
    {
        _sessions[session.SessionId] = session;
        state.State.TotalLogins++;
        state.State.LastLoginAt = time.GetUtcNow();
        state.State.LastEdgeNode = session.EdgeNode;
        await state.WriteStateAsync();
        LogSessionRegistered(logger, session.SessionId, session.Target, _sessions.Count);
        return new SessionRegistration(Admitted: true, RefusalReason: null, TotalLogins: state.State.TotalLogins);
    }

    public Task UnregisterSession(string sessionId)
    {
        _sessions.Remove(sessionId);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<SessionInfo>> GetSessions() =>
        Task.FromResult<IReadOnlyList<SessionInfo>>([.. _sessions.Values]);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId} registered for target {Target}; {Live} live")]
    private static partial void LogSessionRegistered(ILogger logger, string sessionId, string target, int live);
}
