using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansGate.Edge.Identity;
using OrleansGate.Edge.Sessions;
using OrleansGate.Grains;
using OrleansGate.Model;
using OrleansGate.Policy.Model;

namespace OrleansGate.Edge.Http;

/// <summary>
/// The HTTP path's sessions on this edge, one per token and target (the token by its hash, never itself). A request
/// finds its session here or opens it: registered with the agent grain (revocation, session limits) and with this edge's
/// session registry (so the cluster can end it), its Login record durable, as a PostgreSQL login does.
/// </summary>
public sealed partial class AgentHttpSessions(
    EdgeSessionRegistry registry,
    IGrainFactory grains,
    EdgeSessionServices edgeSessions,
    EdgeNode node,
    IOptions<AgentHttpOptions> options,
    TimeProvider time,
    ILogger<AgentHttpSessions> logger)
{
    private readonly ConcurrentDictionary<string, Lazy<Task<AgentHttpSession>>> _open = new(StringComparer.Ordinal);

    public int Count => _open.Count;

    /// <summary>The open session of <paramref name="tokenHash"/> on <paramref name="target"/>, opened now if there is none.</summary>
    /// <exception cref="AgentHttpRefusal">The agent grain refused the session (429 session limit, 403 revoked), or the cluster or audit did not answer (503).</exception>
    public async Task<AgentHttpSession> OpenAsync(
        string tokenHash, TokenValidationResult.Valid valid, string target, string protocol, string client, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(valid);
        var key = tokenHash + "\n" + target;
        while (true)
        {
            var opening = _open.GetOrAdd(key, _ => new(() => CreateAsync(key, valid, target, protocol, client)));
            AgentHttpSession session;
            try
            {
                session = await opening.Value.WaitAsync(ct).ConfigureAwait(false);
            }
            catch (Exception) when (!ct.IsCancellationRequested)
            {
                _open.TryRemove(new(key, opening)); // the next request tries again
                throw;
            }

            if (!session.IsEnded)
            {
                return session;
            }

            _open.TryRemove(new(key, opening));
        }
    }

    /// <summary>Ends every session (this edge lost the cluster, or stops).</summary>
    public async Task EndAllAsync(string reason)
    {
        foreach (var opening in _open.Values)
        {
            if (opening.IsValueCreated && opening.Value.IsCompletedSuccessfully)
            {
                await EndAsync(opening.Value.Result, reason).ConfigureAwait(false);
            }
        }
    }

    private async Task<AgentHttpSession> CreateAsync(string key, TokenValidationResult.Valid valid, string target, string protocol, string client)
    {
        var info = new SessionInfo(
            SessionId: Guid.NewGuid().ToString("N"),
            Agent: valid.Agent,
            TokenId: valid.TokenId,
            TokenExpires: valid.Expires,
            Target: target,
            Protocol: protocol,
            EdgeNode: node.Name,
            ClientAddress: client,
            OpenedAt: time.GetUtcNow());
        AgentHttpSession? session = null;
        var admitted = false;

        // Registered here first, so a revocation racing this open still finds the session.
        registry.Add(info.SessionId, reason => Terminate(key, session, reason));
        try
        {
            var limit = edgeSessions.Decider.LimitsFor(PolicyIdentity.From(valid.Agent), out _).Sessions;
            var agent = grains.GetGrain<IAgentGrain>(valid.Agent.GrainKey);
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30), time);
            var registration = await ClusterRetry.RunAsync(
                () => agent.RegisterSession(info, registry.Terminator, valid.Reuse, limit), time, deadline.Token, ClusterRetry.Login, ClusterRetry.LoginAttemptTimeout).ConfigureAwait(false);
            if (!registration.Admitted)
            {
                throw new AgentHttpRefusal(registration.RefusalSqlState == "53300" ? 429 : 403, $"session refused: {registration.RefusalReason}");
            }

            admitted = true;
            var edge = new EdgeSession(info, edgeSessions);
            session = new AgentHttpSession(info, edge, time);
            await edge.OpenAsync().ConfigureAwait(false);
            Watch(key, session, valid.Expires);
            LogOpened(info.SessionId, valid.Agent.Subject, target, protocol);
            return session;
        }
        catch (Exception e) when (e is not AgentHttpRefusal and not OutOfMemoryException)
        {
            registry.Remove(info.SessionId);
            if (admitted)
            {
                await UnregisterAsync(info).ConfigureAwait(false);
            }

            throw new AgentHttpRefusal(503, "the gateway cannot decide right now (cluster or audit store unavailable); try again later");
        }
        catch (AgentHttpRefusal)
        {
            registry.Remove(info.SessionId);
            throw;
        }
    }

    /// <summary>Ends the session at its token's expiry, and once it has been idle for the configured time.</summary>
    private void Watch(string key, AgentHttpSession session, DateTimeOffset expires)
    {
        var idle = options.Value.IdleSessionTimeout;
        var untilExpiry = expires - time.GetUtcNow();
        var expiry = time.CreateTimer(_ => Terminate(key, session, "the session's token expired"), null, untilExpiry > TimeSpan.Zero ? untilExpiry : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        ITimer? idleTimer = null;
        idleTimer = time.CreateTimer(_ =>
        {
            if (session.IsIdle(idle))
            {
                Terminate(key, session, "idle");
            }
        }, null, idle, idle);
        session.Ended.Register(() =>
        {
            expiry.Dispose();
            idleTimer.Dispose();
        });
    }

    private void Terminate(string key, AgentHttpSession? session, string reason)
    {
        if (session is null)
        {
            return; // revoked while opening: the open fails at its Login record or its next request finds it ended
        }

        _ = EndAsync(session, reason);
        _open.TryRemove(key, out _);
    }

    private async Task EndAsync(AgentHttpSession session, string reason)
    {
        if (!session.End(reason))
        {
            return;
        }

        registry.Remove(session.Info.SessionId);
        LogEnded(session.Info.SessionId, reason);
        try
        {
            await session.Edge.CloseAsync(reason).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogCloseFailed(session.Info.SessionId, e.Message);
        }

        await UnregisterAsync(session.Info).ConfigureAwait(false);
    }

    private async Task UnregisterAsync(SessionInfo info)
    {
        try
        {
            await grains.GetGrain<IAgentGrain>(info.Agent.GrainKey).UnregisterSession(info.SessionId).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogCloseFailed(info.SessionId, e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "HTTP session {SessionId} opened: agent {Subject}, target {Target} ({Protocol})")]
    private partial void LogOpened(string sessionId, string subject, string target, string protocol);

    [LoggerMessage(Level = LogLevel.Information, Message = "HTTP session {SessionId} ended: {Reason}")]
    private partial void LogEnded(string sessionId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Closing HTTP session {SessionId} failed: {Error}")]
    private partial void LogCloseFailed(string sessionId, string error);
}
