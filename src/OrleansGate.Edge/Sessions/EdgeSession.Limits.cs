using System.Globalization;
using OrleansGate.Model;
using OrleansGate.Policy.Loading;

namespace OrleansGate.Edge.Sessions;

/// <summary>The agent's cluster-wide limits (the policy's <c>limits:</c>) as this session meets them.</summary>
public sealed partial class EdgeSession
{
    /// <summary>The limits on this agent, and the policy version they were read from.</summary>
    private sealed record LimitsUnder(long Version, AgentLimits Limits);

    private LimitsUnder? _limits;

    /// <summary>The limits on this agent under the edge's policy, read again only when its version moved.</summary>
    public AgentLimits Limits()
    {
        var known = _limits;
        if (known is not null && known.Version == _services.Decider.PolicyVersion)
        {
            return known.Limits;
        }

        var limits = _services.Decider.LimitsFor(Identity, out var version);
        _limits = new LimitsUnder(version, limits);
        return limits;
    }

    /// <summary>
    /// Takes one token of the agent's statement rate (leased by this edge from the agent grain, StatementLeases); the refusal
    /// (<see cref="GatewayRules.RateLimit"/>, naming the limit and when to retry) when the rate is spent, else null.
    /// </summary>
    /// <exception cref="Exception">The agent grain could not be asked: the caller refuses the statement (fail closed).</exception>
    public async ValueTask<Decision?> StatementLimitAsync()
    {
        if (Limits().Statements is not { } rate)
        {
            return null;
        }

        if (await _services.Leases.TakeAsync(Info.Agent.GrainKey, rate).ConfigureAwait(false) is not { } retryAfter)
        {
            return null;
        }

        _services.Telemetry.RateLimitRefusals.Add(1, new KeyValuePair<string, object?>("kind", "statements"));
        var perSecond = rate.PerSecond.ToString(CultureInfo.InvariantCulture);
        var wait = Math.Max(1, Math.Ceiling(retryAfter.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture);
        return _services.Decider.Refusal(
            GatewayRules.RateLimit,
            $"rate limit of {perSecond} statements/s for agent {Info.Agent.Subject} (limit '{rate.Limit}') exceeded; retry after {wait} ms");
    }

    /// <summary>
    /// The refusal (<see cref="GatewayRules.RowBudget"/>, naming the limit and when its window ends) of a statement that
    /// writes while the agent's rows-changed budget is spent, or reads while its rows-read budget is; else null.
    /// </summary>
    /// <exception cref="Exception">The agent grain could not be asked: the caller refuses the statement (fail closed).</exception>
    public async ValueTask<Decision?> RowBudgetAsync(SqlAction action)
    {
        ArgumentNullException.ThrowIfNull(action);
        var limits = Limits();
        var writes = (action.Kinds & StatementKind.Write) != 0 || !action.Parsed;
        var reads = (action.Kinds & StatementKind.Read) != 0 || !action.Parsed;
        if ((limits.RowsChanged is null || !writes) && (limits.RowsRead is null || !reads))
        {
            return null;
        }

        if (limits.RowsChanged is { } held && writes && (action.Kinds & StatementKind.Transaction) != 0)
        {
            // A write is held in a transaction until its count is known; one Query that also ends or opens transactions
            // would commit it out of the gateway's reach (PostgresSession.RowsGuard.cs).
            _services.Telemetry.RateLimitRefusals.Add(1, new KeyValuePair<string, object?>("kind", "rows_changed"));
            return _services.Decider.Refusal(
                GatewayRules.RowBudget,
                $"a Query that both writes and controls transactions cannot be held to the rows-changed budget of agent {Info.Agent.Subject} (limit '{held.Limit}'); send the transaction statements as Queries of their own");
        }

        if (await _services.RowBudgets.SpentAsync(Info.Agent.GrainKey, limits, reads, writes).ConfigureAwait(false) is not var (limit, use))
        {
            return null;
        }

        var kind = ReferenceEquals(limit, limits.RowsChanged) ? "changed" : "read";
        _services.Telemetry.RateLimitRefusals.Add(1, new KeyValuePair<string, object?>("kind", "rows_" + kind));
        var resetsIn = Math.Max(1, Math.Ceiling((use.ResetsAt - _services.Time.GetUtcNow()).TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return _services.Decider.Refusal(
            GatewayRules.RowBudget,
            $"rows-{kind} budget of {limit.Max} rows per {PolicyLoader.FormatDuration(limit.Window)} for agent {Info.Agent.Subject} (limit '{limit.Limit}') spent ({use.Used} counted); " +
            $"it resets at {use.ResetsAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC, in {resetsIn} s");
    }

    /// <summary>What is left of the agent's rows-changed budget (null: it has none); a write that changes more is refused.</summary>
    public long? RowsChangedRemaining() =>
        Limits().RowsChanged is { } changed ? _services.RowBudgets.ChangedRemaining(Info.Agent.GrainKey, changed) : null;

    /// <summary>
    /// The refusal (53400) of a write that changed <paramref name="rows"/> rows where <paramref name="remaining"/> were left
    /// of the agent's rows-changed budget: the gateway rolled it back.
    /// </summary>
    public Decision RowsChangedRefusal(long rows, long remaining, bool copy)
    {
        var limit = Limits().RowsChanged!;
        _services.Telemetry.RateLimitRefusals.Add(1, new KeyValuePair<string, object?>("kind", "rows_changed"));
        var budget = $"rows-changed budget of {limit.Max} rows per {PolicyLoader.FormatDuration(limit.Window)} for agent {Info.Agent.Subject} (limit '{limit.Limit}')";
        return _services.Decider.Refusal(
            GatewayRules.RowBudget,
            copy
                ? $"COPY FROM STDIN cannot be held to the {budget} before it commits; use INSERT"
                : $"the statement changed {rows} rows, more than the {remaining} left of the {budget}; it was rolled back");
    }

    /// <summary>Charges rows the target reported for this session's statements to the agent's budgets (when it has any).</summary>
    public void ChargeRows(long read, long changed)
    {
        var limits = Limits();
        if ((limits.RowsRead is not null && read > 0) || (limits.RowsChanged is not null && changed > 0))
        {
            _services.RowBudgets.Charge(Info.Agent.GrainKey, limits, read, changed);
        }
    }
}
