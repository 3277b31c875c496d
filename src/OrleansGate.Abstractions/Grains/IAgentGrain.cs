using OrleansGate.Model;

namespace OrleansGate.Grains;

/// <summary>One agent identity (issuer|subject): its live sessions and, later, token state, revocation and rate limits.</summary>
[Alias("OrleansGate.IAgentGrain")]
public interface IAgentGrain : IGrainWithStringKey
{
    [Alias("RegisterSession")]
    Task<SessionRegistration> RegisterSession(SessionInfo session);

    [Alias("UnregisterSession")]
    Task UnregisterSession(string sessionId);

    [Alias("GetSessions")]
    Task<IReadOnlyList<SessionInfo>> GetSessions();
}
