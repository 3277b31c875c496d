using Microsoft.Extensions.Logging;
using OrleansGate.Grains;
using OrleansGate.Model;

namespace OrleansGate.Edge.Postgres;

/// <summary>
/// Refused logins are audited in this edge's login chain (<see cref="ILoginAuditGrain"/>): handed over after the
/// client has its answer, with a bounded wait, so a slow or unreachable cluster delays closing the refused
/// connection by at most <see cref="LoginAuditMaxWait"/> and never changes the refusal. Only what the edge already
/// logs is passed: never the token.
/// </summary>
public sealed partial class PostgresSession
{
    private static readonly TimeSpan LoginAuditMaxWait = TimeSpan.FromSeconds(2);

    /// <param name="authenticated">The agent and token id when the token was valid and the refusal came later (an unknown target).</param>
    private async Task AuditLoginRefusalAsync(string claimedUser, string sqlState, string reason, (AgentIdentity Agent, string? TokenId, string Target)? authenticated = null)
    {
        string? error = null;
        try
        {
            var refusal = new LoginRefusal(_services.Time.GetUtcNow(), sqlState, reason, claimedUser, ClientAddress, _services.Node.Name)
            {
                Issuer = authenticated?.Agent.Issuer,
                Subject = authenticated?.Agent.Subject,
                TokenId = authenticated?.TokenId,
                Target = authenticated?.Target,
            };
            if (!await _services.Grains.GetGrain<ILoginAuditGrain>(_services.Node.Name).Record(refusal).WaitAsync(LoginAuditMaxWait, _services.Time).ConfigureAwait(false))
            {
                error = "the login audit queue is full (the grain counts and records how many were dropped)";
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            error = e.Message;
        }

        // A flood of refusals must not flood the log as well.
        if (error is not null && _services.LoginAuditLog.ShouldLog(out var heldBack))
        {
            LogLoginRefusalNotQueued(_logger, error, heldBack);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A refused login was not handed to the login audit: {Error} ({HeldBack} more since the last line)")]
    private static partial void LogLoginRefusalNotQueued(ILogger logger, string error, long heldBack);
}
