namespace OrleansGate.Audit;

/// <summary>
/// Ids of the chains that are not sessions. Session ids are 32 hex digits, so a prefix with a colon can never
/// collide with one; each chain has exactly one writer (the grain named here), as a chain needs.
/// </summary>
public static class AuditChainIds
{
    /// <summary>Policy changes, written by the policy grain.</summary>
    public const string Policy = "policy";

    /// <summary>Revocations of one agent (issuer|subject), written by its agent grain.</summary>
    public static string Agent(string agentKey) => "agent:" + agentKey;

    /// <summary>
    /// Revocations of token ids that no login has used (no agent is known), written by the agent directory shard that
    /// holds the token id: "revocations:unused-tokens:shard-NN" (plain "revocations:unused-tokens" from the unsharded directory of earlier releases).
    /// </summary>
    public const string TokenRevocations = "revocations:unused-tokens";

    /// <summary>The unused-token revocation chain of one agent directory grain (by its key).</summary>
    public static string UnusedTokenRevocations(string directoryKey) => directoryKey == "all" ? TokenRevocations : TokenRevocations + ":" + directoryKey;

    /// <summary>Logins refused by one edge node before any session existed, written by that node's login audit grain.</summary>
    public static string LoginRefusals(string edgeNode) => "login-refusals:" + edgeNode;

    /// <summary>One approval's life (requested, votes, decision), written by its approval grain.</summary>
    public static string Approval(string approvalId) => "approval:" + approvalId;
}
