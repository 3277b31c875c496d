using OrleansGate.Edge.Identity;
using OrleansGate.Grains;

namespace OrleansGate.Host.Commands;

/// <summary>
/// <c>orleansgate agents list | show AGENT | revoke AGENT [--reason R] | unrevoke AGENT | revoke-token JTI [--issuer URL] [--reason R]</c>.
/// AGENT is the agent key <c>issuer|subject</c>, or a subject alone when exactly one issuer has it. A token id is
/// scoped by its issuer: <c>--issuer</c> is needed when the id alone does not name one issuer.
/// </summary>
public static class AgentsCommand
{
    public static async Task<int> RunAsync(Arguments arguments, IConfiguration configuration, TextWriter stdout, CancellationToken ct)
    {
        var verb = arguments.TakeCommand() ?? throw new CommandLineException("agents needs a subcommand: list, show, revoke, unrevoke or revoke-token");
        var target = verb == "list" ? null : arguments.TakeCommand() ?? throw new CommandLineException($"agents {verb} needs an argument");
        var reason = arguments.TakeValue("--reason") ?? "revoked by an operator";
        var issuer = verb == "revoke-token" ? arguments.TakeValue("--issuer") : null;
        arguments.EnsureEmpty();
        var identity = configuration.GetSection("OrleansGate:Identity").Get<IdentityOptions>() ?? new IdentityOptions();
        if (verb == "revoke-token" && identity.RevokedTokenRetentionProblem() is { } problem)
        {
            throw new CommandLineException(problem);
        }

        using var host = await ClusterClientHost.StartAsync(configuration, ct);
        var grains = host.Services.GetRequiredService<IClusterClient>();
        var directory = new AgentDirectory(grains);
        try
        {
            switch (verb)
            {
                case "list":
                    {
                        // All at once: a status asks the agent's edges which sessions they hold, and one that does not
                        // answer costs its agents a 2 s wait each (AgentGrain.Liveness.cs), paid once here rather than per agent.
                        var agents = await directory.ListAgents();
                        var statuses = await Task.WhenAll(agents.Select(a => grains.GetGrain<IAgentGrain>(a).GetStatus()));
                        foreach (var (agent, status) in agents.Zip(statuses))
                        {
                            await stdout.WriteLineAsync($"{agent}\t{(status.Revoked ? "revoked" : "active")}\t{status.Sessions.Count} sessions\t{status.TotalLogins} logins");
                        }

                        return 0;
                    }

                case "show":
                    {
                        var status = await grains.GetGrain<IAgentGrain>(await ResolveAsync(directory, target!)).GetStatus();
                        await stdout.WriteLineAsync($"{status.Agent}: {(status.Revoked ? $"revoked ({status.RevokedReason})" : "active")}, {status.TotalLogins} logins"
                            + (status.LastRevocationAt is { } at ? $", last revocation {at:O}" : ""));
                        foreach (var s in status.Sessions)
                        {
                            var unconfirmed = status.UnconfirmedSessionIds?.Contains(s.SessionId) == true ? " (unconfirmed: its edge did not answer)" : "";
                            await stdout.WriteLineAsync(
                                $"  session {s.SessionId} target {s.Target} edge {s.EdgeNode} client {s.ClientAddress} since {s.OpenedAt:O} token {s.TokenId ?? "(no jti)"} expires {s.TokenExpires:O}{unconfirmed}");
                        }

                        foreach (var jti in status.RevokedTokenIds)
                        {
                            await stdout.WriteLineAsync($"  revoked token {jti}");
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
                    await RevokeTokenAsync(grains, directory, target!, issuer, reason, identity, stdout);
                    return 0;

                default:
                    throw new CommandLineException($"unknown agents subcommand '{verb}'");
            }
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>
    /// Adds the token id to the cluster-wide revoked set (refused at every later login, used or not), then closes the
    /// sessions opened with it. The set is written first, so a login racing the command is either refused or already
    /// registered with the agent whose sessions are closed next.
    /// </summary>
    private static async Task RevokeTokenAsync(
        IGrainFactory grains, AgentDirectory directory, string jti, string? issuer, string reason, IdentityOptions identity, TextWriter stdout)
    {
        issuer = await ResolveTokenIssuerAsync(directory, jti, issuer, identity);
        var used = (await directory.FindToken(jti)).FirstOrDefault(t => t.Issuer == issuer);

        // A used token's expiry is known (plus the skew edges allow); an unused one is kept for the configured retention.
        var keepUntil = used is not null ? used.Expires + IssuerOptions.MaxClockSkew : DateTimeOffset.UtcNow + identity.RevokedTokenRetention;
        await directory.RevokeToken(issuer, jti, keepUntil, reason);

        // Looked up again after the revocation: a login recorded in between is found here.
        var owner = (await directory.FindToken(jti)).FirstOrDefault(t => t.Issuer == issuer);
        if (owner is null)
        {
            await stdout.WriteLineAsync($"token {jti} of issuer {issuer} revoked until {keepUntil:O}; it has not been used to log in: every login with it is refused");
            return;
        }

        var closed = await grains.GetGrain<IAgentGrain>(owner.Agent).RevokeToken(jti, keepUntil, reason);
        await stdout.WriteLineAsync($"token {jti} of {owner.Agent} revoked until {keepUntil:O}; {closed} live sessions closed");
    }

    /// <summary>The issuer whose token id is meant: given, or the only one that fits; never a guess between several.</summary>
    private static async Task<string> ResolveTokenIssuerAsync(AgentDirectory directory, string jti, string? issuer, IdentityOptions identity)
    {
        var configured = identity.Issuers.Select(i => i.Issuer).Where(i => !string.IsNullOrEmpty(i)).ToList();
        if (issuer is not null)
        {
            return configured.Contains(issuer, StringComparer.Ordinal) || (await directory.ListIssuers()).Contains(issuer, StringComparer.Ordinal)
                ? issuer
                : throw new CommandLineException($"issuer '{issuer}' is neither configured (OrleansGate:Identity:Issuers) nor seen at any login; give it exactly as the token's iss");
        }

        var users = (await directory.FindToken(jti)).Select(t => t.Issuer).Distinct(StringComparer.Ordinal).ToList();
        return users.Count switch
        {
            1 => users[0],
            > 1 => throw new CommandLineException($"token id '{jti}' is in use under several issuers ({string.Join(", ", users)}); give --issuer"),
            _ => configured.Count switch
            {
                1 => configured[0],
                0 => throw new CommandLineException($"token id '{jti}' has not been used to log in and no issuer is configured; give --issuer"),
                _ => throw new CommandLineException($"token id '{jti}' has not been used to log in and several issuers are configured ({string.Join(", ", configured)}); give --issuer"),
            },
        };
    }

    private static async Task<string> ResolveAsync(AgentDirectory directory, string agent)
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
