using Microsoft.Extensions.Options;
using ModelContextProtocol.AspNetCore;

namespace OrleansGate.Host.Mcp;

/// <summary>Registers the MCP endpoint's services, and puts it in front of the agent listener's pipeline.</summary>
public static class McpEndpoint
{
    public static IServiceCollection AddGatewayMcp(this IServiceCollection services, IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(section);
        var options = section.Get<McpOptions>() ?? new McpOptions();
        if (options.Problem() is { } problem)
        {
            throw new InvalidOperationException(problem);
        }

        services.AddSingleton(Options.Create(options));
        services.AddSingleton(options);
        services.AddSingleton<LoopbackListeners>();
        services.AddSingleton<McpAccessGate>();
        services.AddSingleton<PostgresQueryTool>();
        services.AddSingleton<PostgresTargetsTool>();
        services.AddSingleton<AgentHttpRequestTool>();
        services.AddSingleton<SshExecTool>();
        services.AddSingleton<ApprovalStatusTool>();
        services.AddSingleton<McpTools>();

        // Stateless: each POST is served on its own, by a server configured for the caller of that request (its tools,
        // its token); progress notifications of a call go back on that call's own response stream.
        services.AddMcpServer().WithHttpTransport(http =>
        {
            http.SessionMode = HttpServerSessionMode.Stateless;
            http.ConfigureSessionOptions = (context, server, _) =>
            {
                var caller = context.Features.Get<McpCaller>() ?? throw new InvalidOperationException("an MCP request reached the server without its caller");
                context.RequestServices.GetRequiredService<McpTools>().Configure(caller, server);
                return Task.CompletedTask;
            };
        });
        return services;
    }

    /// <summary>
    /// <c>/mcp</c> and the protected resource metadata, on the agent listener's branch; every other request goes on
    /// (<paramref name="agents"/>' next middleware, e.g. the Kubernetes and HTTP handler).
    /// </summary>
    public static IApplicationBuilder UseGatewayMcp(this IApplicationBuilder agents)
    {
        ArgumentNullException.ThrowIfNull(agents);
        var services = agents.ApplicationServices;
        if (!services.GetRequiredService<McpOptions>().Enabled)
        {
            return agents;
        }

        var gate = services.GetRequiredService<McpAccessGate>();
        services.GetRequiredService<LoopbackListeners>(); // fail at start, not at the first call, when a listener's certificate cannot be read

        // A pipeline of its own, not routing in the branch: WebApplication shares one route table between all branches,
        // so an endpoint mapped here would answer on the admin listener too.
        var own = new ApplicationBuilder(services);
        own.UseRouting();
        own.UseEndpoints(endpoints => endpoints.MapMcp(McpAccessGate.McpPath));
        var mcp = own.Build();

        return agents.Use(async (context, next) =>
        {
            var path = context.Request.Path;
            if (McpAccessGate.IsMetadataPath(path))
            {
                await gate.WriteMetadataAsync(context).ConfigureAwait(false);
            }
            else if (path.Equals(McpAccessGate.McpPath, StringComparison.Ordinal))
            {
                if (await gate.AuthenticateAsync(context).ConfigureAwait(false) is { } caller)
                {
                    context.Features.Set(caller);
                    context.SetEndpoint(null); // the application's own routing may have matched something: not here
                    await mcp(context).ConfigureAwait(false);
                }
            }
            else
            {
                await next(context).ConfigureAwait(false);
            }
        });
    }
}
