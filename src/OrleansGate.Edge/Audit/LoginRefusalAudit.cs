using Microsoft.Extensions.Logging;
using OrleansGate.Grains;
using OrleansGate.Model;

namespace OrleansGate.Edge.Audit;

/// <summary>
/// Hands a refused login to this edge's login audit grain after the client has its answer: fire and forget with
/// a bounded wait, so a slow or unreachable cluster delays closing the refused connection by at most
/// <see cref="MaxWait"/> and never changes the refusal. Only what the edge already logs is passed: never the token.
/// </summary>
public static partial class LoginRefusalAudit
{
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(2);

    /// <summary>A flood of refusals must not flood the log as well: one line per this interval, with a count.</summary>
    private static readonly TimeSpan LogInterval = TimeSpan.FromMinutes(1);

    private static long _notQueued;
    private static long _lastLogged = long.MinValue;

    /// <param name="authenticated">The agent and token id when the token was valid and the refusal came later (e.g. an unknown target).</param>
    public static async Task ReportAsync(
        IGrainFactory grains, TimeProvider time, ILogger logger, string edgeNode, string clientAddress, string claimedUser, string sqlState, string reason,
        (AgentIdentity Agent, string? TokenId, string Target)? authenticated = null)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(time);
        string? error = null;
        try
        {
            var refusal = new LoginRefusal(time.GetUtcNow(), sqlState, reason, claimedUser, clientAddress, edgeNode)
            {
                Issuer = authenticated?.Agent.Issuer,
                Subject = authenticated?.Agent.Subject,
                TokenId = authenticated?.TokenId,
                Target = authenticated?.Target,
            };
            if (!await grains.GetGrain<ILoginAuditGrain>(edgeNode).Record(refusal).WaitAsync(MaxWait, time).ConfigureAwait(false))
            {
                error = "the login audit queue is full (the grain counts and records how many were dropped)";
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            error = e.Message;
        }

        if (error is not null)
        {
            var count = Interlocked.Increment(ref _notQueued);
            var now = time.GetTimestamp();
            var last = Interlocked.Read(ref _lastLogged);
            if ((last == long.MinValue || time.GetElapsedTime(last, now) >= LogInterval) && Interlocked.CompareExchange(ref _lastLogged, now, last) == last)
            {
                LogNotQueued(logger, count, error);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused logins not handed to the login audit ({Count} so far in this process): {Error}")]
    private static partial void LogNotQueued(ILogger logger, long count, string error);
}
