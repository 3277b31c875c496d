using System.Globalization;
using System.Text.Json.Nodes;
using ModelContextProtocol.Protocol;
using OrleansGate.Grains;
using OrleansGate.Model;

namespace OrleansGate.Host.Mcp;

/// <summary>
/// <c>approval_status</c>: the state of an approval the caller itself asked for. Any other id, whoever's it is, gets the
/// same "no such approval" as an id that does not exist: the answer tells nothing of other agents' requests.
/// </summary>
public sealed class ApprovalStatusTool(IGrainFactory grains)
{
    public async Task<CallToolResult> RunAsync(McpCaller caller, McpToolArguments arguments)
    {
        var id = arguments.RequiredString("approval_id");
        var none = McpToolResults.Error($"no such approval: {(ApprovalKeys.IsId(id) ? id : "(not an approval id: apr- and 20 hex digits)")} among this agent's approvals");
        if (!ApprovalKeys.IsId(id))
        {
            return none;
        }

        ApprovalView? view;
        try
        {
            view = await grains.GetGrain<IApprovalGrain>(id).Get().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return McpToolResults.Error($"the approval could not be read (the cluster did not answer); try again later: {e.Message}");
        }

        var agent = caller.Valid.Agent;
        if (view is null || view.Request.Agent.Issuer != agent.Issuer || view.Request.Agent.Subject != agent.Subject)
        {
            return none;
        }

        return McpToolResults.Json(new JsonObject
        {
            ["approval_id"] = view.Id,
            ["status"] = view.Status.ToString().ToLowerInvariant(),
            ["target"] = view.Request.Target,
            ["protocol"] = view.Request.Protocol,
            ["request"] = view.Request.Text,
            ["rule"] = view.Request.Rule,
            ["reason"] = view.Request.Reason,
            ["requested_at"] = view.RequestedAt.ToString("O", CultureInfo.InvariantCulture),
            ["expires_at"] = view.ExpiresAt.ToString("O", CultureInfo.InvariantCulture),
            ["decided_at"] = view.DecidedAt?.ToString("O", CultureInfo.InvariantCulture),
            ["decided_by"] = view.DecidedBy,
            ["comment"] = view.DecisionComment,
        });
    }
}
