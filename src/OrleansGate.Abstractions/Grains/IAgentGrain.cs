using Orleans.Concurrency;
using OrleansGate.Model;

namespace OrleansGate.Grains;

/// <summary>One agent identity (issuer|subject): its live sessions, revocation and revoked token ids.</summary>
[Alias("OrleansGate.IAgentGrain")]
public interface IAgentGrain : IGrainWithStringKey
{
    /// <summary>
    /// Admits a session unless the agent or its token id is revoked, or the token was already used beyond what
    /// <paramref name="reuse"/> (its issuer's setting) allows, or the agent already holds <paramref name="limit"/>'s number of
    /// sessions (the policy's, as the edge read it; null: none); <paramref name="terminator"/> closes it later if needed.
    /// </summary>
    [Alias("RegisterSession")]
    Task<SessionRegistration> RegisterSession(SessionInfo session, ISessionTerminator terminator, TokenReuse reuse, SessionLimit? limit);

    /// <summary>
    /// Takes up to <paramref name="want"/> statement tokens (at most <see cref="StatementRateLimit.MaxLeaseSize"/>) from the
    /// agent's cluster-wide bucket for <paramref name="limit"/>; <paramref name="edge"/> (the asking edge's own id) spends them on
    /// its sessions of this agent, and edges refused get the next tokens in turn. Interleaves with the agent's other calls: it
    /// touches only the bucket, so a login's storage write never holds statements back.
    /// </summary>
    [Alias("LeaseStatements")]
    [AlwaysInterleave]
    Task<StatementLease> LeaseStatements(StatementRateLimit limit, string edge, int want);

    [Alias("UnregisterSession")]
    Task UnregisterSession(string sessionId);

    [Alias("GetStatus")]
    Task<AgentStatus> GetStatus();

    /// <summary>Refuses new logins and closes every live session of the agent on every edge.</summary>
    [Alias("Revoke")]
    Task<int> Revoke(string reason);

    /// <summary>Lifts an agent revocation (revoked token ids stay revoked).</summary>
    [Alias("Unrevoke")]
    Task Unrevoke();

    /// <summary>Refuses the token id from now on and closes the sessions opened with it.</summary>
    [Alias("RevokeToken")]
    Task<int> RevokeToken(string tokenId, DateTimeOffset keepUntil, string reason);

    /// <summary>
    /// Adds rows read and rows changed (from the target's CommandComplete counts) to the agent's budgets under
    /// <paramref name="read"/> and <paramref name="changed"/> (the policy's, as the edge read it; null: none) and returns
    /// what is counted; a charge of zero only asks. Interleaves like <see cref="LeaseStatements"/>.
    /// </summary>
    [Alias("ChargeRows")]
    [AlwaysInterleave]
    Task<RowBudgetState> ChargeRows(RowBudgetLimit? read, long rowsRead, RowBudgetLimit? changed, long rowsChanged);
}
