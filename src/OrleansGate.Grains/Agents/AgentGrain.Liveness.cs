using Microsoft.Extensions.Logging;
using OrleansGate.Model;

namespace OrleansGate.Grains.Agents;

/// <summary>
/// Sessions of an edge that is gone leave the live-session list: the edges holding this agent's sessions are asked which
/// they still hold, before <see cref="GetStatus"/> answers and every <see cref="EdgeCheckInterval"/> while the grain
/// holds any. Without this, the sessions of an edge process killed with SIGKILL stayed listed (and kept the grain
/// active) until their token had been expired for a day.
/// </summary>
/// <remarks>
/// The list is what a revocation reaches, so an entry is dropped only on a definite answer; a session dropped while its
/// edge still holds it would survive every later revocation. Definite is:
/// <list type="number">
/// <item>the edge answered and does not hold it (it ended and its logout was lost, or the edge process restarted: a new
/// process holds nothing of the old one's);</item>
/// <item>Orleans has no route to the edge's process at all (<see cref="ClientNotAvailableException"/>): a node of role
/// <c>all</c> whose silo membership has declared dead (a silo declared dead stops itself), or an edge-only process that
/// no gateway has seen for the silos' client drop timeout (1 min, acted on at the gateway's next pass). An edge-only
/// process that is alive but was cut off that long has already ended its sessions: it ends them when it loses its
/// last gateway (see <c>EdgeSessionRegistry.TerminateAll</c>), since they can decide nothing without the cluster.</item>
/// </list>
/// An edge that does not answer within <see cref="EdgeCheckTimeout"/>, or fails in any other way (a refused connection
/// or a rejected message looks the same for a dead process as for a network fault), keeps its sessions: they stay
/// listed as unconfirmed, every revocation still tries them, a revocation that could not reach them is sent again by
/// each check, and the next check asks again. The price is that a dead edge's sessions stay listed until Orleans is
/// sure; the alternative's price is a revocation that misses a live session.
/// Checks run in the grain's turn (not interleaved): a state write may be serialising the list on another thread while
/// an interleaved turn would change it. A check therefore holds this agent's other calls for at most
/// <see cref="EdgeCheckTimeout"/>, and only while an edge does not answer.
/// </remarks>
public sealed partial class AgentGrain
{
    /// <summary>While sessions are held, how often their edges are asked (status requests ask on their own).</summary>
    private static readonly TimeSpan EdgeCheckInterval = TimeSpan.FromSeconds(30);

    /// <summary>How long an edge may take to answer a check; one that does not is slow or unreachable, not gone.</summary>
    private static readonly TimeSpan EdgeCheckTimeout = TimeSpan.FromSeconds(2);

    /// <summary>A status request within this of the last check uses its outcome (a burst of <c>agents list</c> asks each edge once).</summary>
    private static readonly TimeSpan EdgeCheckFresh = TimeSpan.FromSeconds(1);

    /// <summary>Sessions whose edge did not answer the last check.</summary>
    private readonly HashSet<string> _unconfirmed = new(StringComparer.Ordinal);

    private IGrainTimer? _edgeChecks;
    private DateTimeOffset? _lastEdgeCheck;

    /// <summary>Starts the periodic check when the grain holds sessions, stops it when it holds none.</summary>
    private void ScheduleEdgeChecks()
    {
        if (Sessions.Count == 0)
        {
            _edgeChecks?.Dispose();
            _edgeChecks = null;
            _unconfirmed.Clear();
        }
        else
        {
            // Not KeepAlive: the grain stays active while it holds sessions anyway (DelayDeactivation).
            _edgeChecks ??= this.RegisterGrainTimer(_ => CheckEdgesAsync(), new GrainTimerCreationOptions(EdgeCheckInterval, EdgeCheckInterval));
        }
    }

    private Task CheckEdgesUnlessFreshAsync() =>
        _lastEdgeCheck is { } last && time.GetUtcNow() - last < EdgeCheckFresh ? Task.CompletedTask : CheckEdgesAsync();

    /// <summary>Asks every edge holding sessions which it still holds (all edges at once) and drops what is definitely over.</summary>
    private async Task CheckEdgesAsync()
    {
        _lastEdgeCheck = time.GetUtcNow();
        var edges = Sessions.Values.GroupBy(s => s.Terminator).Select(g => g.ToList()).ToList();
        var answers = await Task.WhenAll(edges.Select(AskEdgeAsync));
        var wasUnconfirmed = _unconfirmed.ToHashSet(StringComparer.Ordinal);
        _unconfirmed.Clear();
        for (var i = 0; i < edges.Count; i++)
        {
            var sessions = edges[i];
            var edge = sessions[0].Session.EdgeNode;
            switch (answers[i])
            {
                case (_, Gone: true, _):
                    LogEdgeGone(logger, this.GetPrimaryKeyString(), edge, sessions.Count);
                    ForgetSessions(sessions.Select(s => s.Session.SessionId));
                    break;

                case ({ } held, _, _):
                    var over = sessions.Where(s => !held.Contains(s.Session.SessionId)).ToList();
                    if (over.Count > 0)
                    {
                        LogSessionsOver(logger, this.GetPrimaryKeyString(), edge, over.Count);
                        ForgetSessions(over.Select(s => s.Session.SessionId));
                    }

                    break;

                case (_, _, var error):
                    // Logged when the edge stops answering, not at every check while it stays silent.
                    if (!sessions.Any(s => wasUnconfirmed.Contains(s.Session.SessionId)))
                    {
                        LogEdgeNotAnswering(logger, this.GetPrimaryKeyString(), edge, sessions.Count, error);
                    }

                    _unconfirmed.UnionWith(sessions.Select(s => s.Session.SessionId));
                    break;
            }
        }
    }

    /// <summary>
    /// The ids the edge still holds of <paramref name="sessions"/> (sessions of a revocation that has not reached it yet
    /// are closed now, so they are not held); <c>Gone</c> when the edge definitely is; neither when that is not known, with
    /// what went wrong.
    /// </summary>
    private async Task<(IReadOnlySet<string>? Held, bool Gone, string? Error)> AskEdgeAsync(List<AgentLiveSession> sessions)
    {
        var edge = sessions[0].Terminator;
        try
        {
            var doomed = sessions.Where(s => RevokedReason(s.Session) is not null).ToList();
            foreach (var reason in doomed.Select(s => RevokedReason(s.Session)!).Distinct(StringComparer.Ordinal))
            {
                var ids = doomed.Where(s => RevokedReason(s.Session) == reason).Select(s => s.Session.SessionId).ToList();
                LogRevocationResent(logger, this.GetPrimaryKeyString(), sessions[0].Session.EdgeNode, ids.Count);
                await edge.Terminate(ids, reason).WaitAsync(EdgeCheckTimeout, time);
            }

            var live = sessions.Except(doomed).Select(s => s.Session.SessionId).ToList();
            IReadOnlyList<string> held = live.Count == 0 ? [] : await edge.Live(live).WaitAsync(EdgeCheckTimeout, time);
            return (new HashSet<string>(held, StringComparer.Ordinal), Gone: false, null);
        }
        catch (Exception e) when (IsDefinitelyGone(e))
        {
            return (null, Gone: true, null);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return (null, Gone: false, $"{e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>Orleans has no route to the edge's process: no gateway knows it, or its silo was declared dead (see the remarks).</summary>
    private static bool IsDefinitelyGone(Exception e) => e is ClientNotAvailableException || e.GetBaseException() is ClientNotAvailableException;

    /// <summary>Why a listed session should already have been closed (its agent or its token is revoked), or null.</summary>
    private string? RevokedReason(SessionInfo session) =>
        state.State.Revoked ? $"agent revoked: {state.State.RevokedReason}"
        : session.TokenId is { } jti && state.State.RevokedTokens.TryGetValue(jti, out var until) && until > time.GetUtcNow() ? "token revoked"
        : null;

    [LoggerMessage(Level = LogLevel.Information, Message = "Agent {Agent}: edge {Edge} no longer holds {Count} session(s) listed as live; dropped")]
    private static partial void LogSessionsOver(ILogger logger, string agent, string edge, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Agent {Agent}: edge {Edge} is gone (Orleans has no route to its process); its {Count} session(s) dropped")]
    private static partial void LogEdgeGone(ILogger logger, string agent, string edge, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Agent {Agent}: edge {Edge} did not answer for its {Count} session(s) ({Error}); they stay listed, unconfirmed, until it answers or is known to be gone")]
    private static partial void LogEdgeNotAnswering(ILogger logger, string agent, string edge, int count, string? error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Agent {Agent}: a revocation had not reached {Count} session(s) on edge {Edge}; sent again")]
    private static partial void LogRevocationResent(ILogger logger, string agent, string edge, int count);
}
