using OrleansGate.Edge.Identity;
using OrleansGate.Policy.Model;

namespace OrleansGate.Host.Mcp;

/// <summary>
/// Who calls, for one MCP request: the validated token and the identity rules match. The token is kept only to present
/// it again to this node's own listeners (each tool call is decided there as the agent's own request); never logged.
/// </summary>
public sealed class McpCaller(string bearer, TokenValidationResult.Valid valid)
{
    /// <summary>The agent's bearer token, exactly as it was sent.</summary>
    public string Bearer { get; } = bearer;

    public TokenValidationResult.Valid Valid { get; } = valid;

    public PolicyIdentity Identity { get; } = PolicyIdentity.From(valid.Agent);

    /// <summary>The PostgreSQL user name the loopback session presents (the gateway authenticates by the token alone).</summary>
    public string UserName => string.IsNullOrWhiteSpace(Valid.Agent.Subject) ? "mcp" : Valid.Agent.Subject;

    /// <summary>Never the token: a caller that lands in a log or an exception message shows who, not how.</summary>
    public override string ToString() => $"{Valid.Agent.Issuer}|{Valid.Agent.Subject}";
}
