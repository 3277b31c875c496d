using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using ModelContextProtocol.Protocol;
using OrleansGate.Edge.Targets;
using OrleansGate.Policy.Model;

namespace OrleansGate.Host.Mcp;

/// <summary>
/// <c>postgres_targets</c>: the PostgreSQL targets (the policy's <c>targets:</c> without a kind, and the configured
/// <c>OrleansGate:Targets</c>) the caller's policy may allow. Names only: hosts and credentials stay with the gateway.
/// </summary>
public sealed class PostgresTargetsTool(IOptionsMonitor<Dictionary<string, TargetOptions>> configured)
{
    public CallToolResult Run(McpCaller caller, CompiledPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(policy);
        var names = policy.Targets.Keys.Concat(configured.CurrentValue.Keys)
            .Distinct(StringComparer.Ordinal)
            .Where(name => McpPolicyView.MayEverAllow(policy, caller.Identity, RuleProtocol.Sql, name))
            .Order(StringComparer.Ordinal);
        return McpToolResults.Json(new JsonObject { ["targets"] = new JsonArray([.. names.Select(n => (JsonNode)n)]) });
    }
}
