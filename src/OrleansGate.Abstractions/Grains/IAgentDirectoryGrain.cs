using OrleansGate.Model;

namespace OrleansGate.Grains;

/// <summary>
/// One shard of the agent directory (keys "shard-00" … "shard-63", see <see cref="AgentDirectory"/>, which callers go
/// through): the agents that have logged in with its tokens, which agent a token id belongs to (per issuer: a jti is
/// unique only within its issuer), and the token ids revoked cluster-wide, including ones that have never been used (a
/// leaked token can be blocked before its first login). Touched at login only, never per statement. Key "all" is the
/// unsharded directory of earlier releases, read once by each shard.
/// </summary>
[Alias("OrleansGate.IAgentDirectoryGrain")]
public interface IAgentDirectoryGrain : IGrainWithStringKey
{
    /// <summary>Records a login attempt of the agent with the token; true when that token id is revoked (the login must be refused).</summary>
    [Alias("Record")]
    Task<bool> Record(string agentKey, string issuer, string? tokenId, DateTimeOffset tokenExpires);

    [Alias("ListAgents")]
    Task<IReadOnlyList<string>> ListAgents();

    /// <summary>Every unexpired token with this id that has been used to log in, under any issuer.</summary>
    [Alias("FindToken")]
    Task<IReadOnlyList<TokenOwner>> FindToken(string tokenId);

    /// <summary>
    /// Refuses the issuer's token id at every later login until <paramref name="keepUntil"/>, used or not. A token id
    /// no login has used is audited here (no agent grain knows it); a used one by its agent's grain, which closes its
    /// sessions. Throws when the revocation is stored (in force) but its audit record could not be written.
    /// </summary>
    [Alias("RevokeToken")]
    Task RevokeToken(string issuer, string tokenId, DateTimeOffset keepUntil, string reason);

    /// <summary>Issuers seen at login so far (the CLI checks an operator's --issuer against them).</summary>
    [Alias("ListIssuers")]
    Task<IReadOnlyList<string>> ListIssuers();

    /// <summary>The part of this (unsharded, key "all") directory's state that belongs to the shard; empty on a shard.</summary>
    [Alias("ExportShard")]
    Task<AgentDirectoryShardExport> ExportShard(int shard);
}
