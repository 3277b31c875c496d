using OrleansGate.Model;

namespace OrleansGate.Edge.Postgres;

/// <summary>The agent's cluster-wide limits on statements: checked before a Query or an Execute is decided and sent.</summary>
public sealed partial class PostgresSession
{
    /// <summary>
    /// The refusal (53400, audited as a refusal) when the agent's statement rate is spent, else null. The session stays
    /// usable: the refusal replaces the statement's answer. When the agent grain cannot be asked, the statement is refused.
    /// </summary>
    private async ValueTask<Decision?> OverLimitAsync(string? sql)
    {
        Decision? refusal;
        try
        {
            refusal = await _edge!.StatementLimitAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Fail closed: a limit that cannot be checked refuses the statement.
            LogDecisionUnavailable(_logger, _session!.SessionId, e.Message);
            return new Decision(DecisionEffect.Unavailable, GatewayRules.ClusterUnavailable, "the gateway could not check the agent's limits", 0, 0);
        }

        return refusal is null ? null : await AuditedRefusalAsync(refusal, sql).ConfigureAwait(false);
    }
}
