using Microsoft.Extensions.Options;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using OrleansGate.Edge.Decisions;

namespace OrleansGate.Host.Mcp;

/// <summary>
/// The MCP server's tools for one caller: the list its policy allows, and each call run through this node's native
/// listeners (<see cref="LoopbackListeners"/>). Every failure is a tool result with <c>isError</c>, never a protocol error.
/// </summary>
/// <remarks>
/// <code>
///  tools/call ─► policy on this edge? ─► no: error (fail closed)
///             ─► tool listed for the caller? ─► no: error
///             ─► arguments ─► the native listener, with the caller's token ─► decision, approval, masking, audit there
///             ─► rows / answer / output as JSON; a refusal's text (it names the rule, or the approval) as an error
/// </code>
/// </remarks>
public sealed partial class McpTools(
    EdgePolicy policy,
    PostgresQueryTool postgresQuery,
    PostgresTargetsTool postgresTargets,
    AgentHttpRequestTool httpRequest,
    SshExecTool sshExec,
    ApprovalStatusTool approvalStatus,
    IOptions<McpOptions> options,
    TimeProvider time,
    ILogger<McpTools> logger)
{
    /// <summary>Per request (stateless streamable HTTP): this caller's handlers on a fresh server's options.</summary>
    public void Configure(McpCaller caller, McpServerOptions server)
    {
        ArgumentNullException.ThrowIfNull(server);
        server.ServerInfo = new Implementation { Name = "orleansgate", Version = typeof(McpTools).Assembly.GetName().Version?.ToString() ?? "0" };
        server.ServerInstructions = "Every tool call is a request of this agent through the OrleansGate gateway: decided by policy, masked and audited. A refused call is a tool error naming the rule.";
        server.Handlers.ListToolsHandler = (_, _) => ValueTask.FromResult(new ListToolsResult
        {
            Tools = policy.TryGet() is { } entry ? McpToolCatalog.Tools(McpToolCatalog.Names(entry.Policy, caller.Identity)) : [],
        });
        server.Handlers.CallToolHandler = (request, ct) => CallAsync(caller, request, ct);
    }

    private async ValueTask<CallToolResult> CallAsync(McpCaller caller, RequestContext<CallToolRequestParams> request, CancellationToken ct)
    {
        var name = request.Params?.Name ?? "";
        if (policy.TryGet() is not { } entry)
        {
            return McpToolResults.Error($"refused by the gateway: it has no policy to decide with ({policy.UnavailableReason}); nothing is allowed until it has one");
        }

        if (!McpToolCatalog.Names(entry.Policy, caller.Identity).Contains(name))
        {
            return McpToolResults.Error($"no tool '{name}' for this agent: its policy allows nothing that tool could do (tools/list shows the ones it may use)");
        }

        if (McpToolCatalog.UnknownArgument(name, request.Params!.Arguments?.Keys) is { } unknown)
        {
            return McpToolResults.Error($"unknown argument '{unknown}' for {name} (expected {McpToolCatalog.ArgumentNames(name)})");
        }

        var arguments = new McpToolArguments(request.Params.Arguments);
        var progress = new McpProgress(request.Server, request.Params.ProgressToken, time, options.Value.ProgressInterval);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(options.Value.CallTimeout);
        LogCall(logger, name, caller.ToString());
        try
        {
            return name switch
            {
                McpToolCatalog.PostgresQuery => await postgresQuery.RunAsync(caller, arguments, progress, deadline.Token).ConfigureAwait(false),
                McpToolCatalog.PostgresTargets => postgresTargets.Run(caller, entry.Policy),
                McpToolCatalog.KubernetesRequest => await httpRequest.RunAsync(caller, "k8s/", arguments, progress, deadline.Token).ConfigureAwait(false),
                McpToolCatalog.HttpRequest => await httpRequest.RunAsync(caller, "http/", arguments, progress, deadline.Token).ConfigureAwait(false),
                McpToolCatalog.SshExec => await sshExec.RunAsync(caller, arguments, progress, deadline.Token).ConfigureAwait(false),
                McpToolCatalog.ApprovalStatus => await approvalStatus.RunAsync(caller, arguments).ConfigureAwait(false),
                _ => McpToolResults.Error($"no tool '{name}'"),
            };
        }
        catch (McpToolRefusal refusal)
        {
            return McpToolResults.Error(refusal.Message);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            return McpToolResults.Error($"the call took longer than {options.Value.CallTimeout} (OrleansGate:Mcp:CallTimeout) and was ended");
        }
        catch (HttpRequestException e)
        {
            return McpToolResults.Error($"the gateway's agent listener could not be used: {e.Message}");
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "MCP tool call {Tool} by {Agent}")]
    private static partial void LogCall(ILogger logger, string tool, string agent);
}
