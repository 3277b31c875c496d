using OrleansGate.Grains;

namespace OrleansGate.Host.Commands;

/// <summary>
/// <c>orleansgate agents list | show AGENT | revoke AGENT [--reason R] | unrevoke AGENT | revoke-token JTI [--reason R]</c>.
/// AGENT is the agent key <c>issuer|subject</c>, or a subject alone when exactly one issuer has it.
/// </summary>
public static class AgentsCommand
{
    public static async Task<int> RunAsync(Arguments arguments, IConfiguration configuration, TextWriter stdout, CancellationToken ct)
    {
        var verb = arguments.TakeCommand() ?? throw new CommandLineException("agents needs a subcommand: list, show, revoke, unrevoke or revoke-token");
        var target = verb == "list" ? null : arguments.TakeCommand() ?? throw new CommandLineException($"agents {verb} needs an argument");
        var reason = arguments.TakeValue("--reason") ?? "revoked by an operator";
        arguments.EnsureEmpty();

        using var host = await ClusterClientHost.StartAsync(configuration, ct);
        var grains = host.Services.GetRequiredService<IClusterClient>();
        var directory = grains.GetGrain<IAgentDirectoryGrain>("all");
        try
        {
            switch (verb)
            {
                case "list":
                    foreach (var agent in await directory.ListAgents())
                    {
                        var status = await grains.GetGrain<IAgentGrain>(agent).GetStatus();
                        await stdout.WriteLineAsync($"{agent}\t{(status.Revoked ? "revoked" : "active")}\t{status.Sessions.Count} sessions\t{status.TotalLogins} logins");
                    }

                    return 0;
                case "show":
                    {
                        var status = await grains.GetGrain<IAgentGrain>(await ResolveAsync(directory, target!)).GetStatus();
                        await stdout.WriteLineAsync($"{status.Agent}: {(status.Revoked ? $"revoked ({status.RevokedReason})" : "active")}, {status.TotalLogins} logins");
                        foreach (var s in status.Sessions)
                        {
                            await stdout.WriteLineAsync($"  session {s.SessionId} target {s.Target} edge {s.EdgeNode} client {s.ClientAddress} since {s.OpenedAt:O}");
                        }

                        return 0;
                    }

                case "revoke":
                    {
                        var agent = await ResolveAsync(directory, target!);
                        var closed = await grains.GetGrain<IAgentGrain>(agent).Revoke(reason);
                        await stdout.WriteLineAsync($"{agent} revoked; {closed} live sessions closed; new logins refused until 'agents unrevoke'");
                        return 0;
                    }

                case "unrevoke":
                    {
                        var agent = await ResolveAsync(directory, target!);
                        await grains.GetGrain<IAgentGrain>(agent).Unrevoke();
                        await stdout.WriteLineAsync($"{agent}: revocation lifted");
                        return 0;
                    }

                case "revoke-token":
                    {
                        var agent = await directory.FindAgentByToken(target!)
                            ?? throw new CommandLineException($"no live token with id '{target}' is known (expired tokens need no revocation)");

                        // Kept for a day: longer than any access token the gateway accepts lives.
                        var closed = await grains.GetGrain<IAgentGrain>(agent).RevokeToken(target!, DateTimeOffset.UtcNow.AddDays(1), reason);
                        await stdout.WriteLineAsync($"token {target} of {agent} revoked; {closed} live sessions closed");
                        return 0;
                    }

                default:
                    throw new CommandLineException($"unknown agents subcommand '{verb}'");
            }
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    private static async Task<string> ResolveAsync(IAgentDirectoryGrain directory, string agent)
    {
        if (agent.Contains('|', StringComparison.Ordinal))
        {
            return agent;
        }

        var matches = (await directory.ListAgents()).Where(a => a.EndsWith("|" + agent, StringComparison.Ordinal)).ToList();
        return matches.Count switch
        {
            1 => matches[0],
            0 => throw new CommandLineException($"no agent with subject '{agent}' has logged in; give issuer|subject"),
            _ => throw new CommandLineException($"subject '{agent}' exists under several issuers; give issuer|subject"),
        };
    }
}
