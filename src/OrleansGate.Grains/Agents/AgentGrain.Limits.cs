using OrleansGate.Model;

namespace OrleansGate.Grains.Agents;

/// <summary>
/// The agent's cluster-wide statement rate: one token bucket, owned here, from which edges lease small batches
/// (<see cref="StatementRateLimit.LeaseSize"/>) and spend them on the agent's sessions without asking again.
/// </summary>
/// <remarks>
/// The bucket holds at most a quarter of a second's worth of tokens (at least one lease), so an agent that was idle can
/// burst only briefly: over any interval of T seconds the grain grants at most rate × T + capacity tokens. It lives in
/// memory: a new activation (after a silo's death) starts with a full bucket, which adds one capacity at most. Edges
/// refused a token get the next ones in the order they were refused (<see cref="_owed"/>).
/// </remarks>
public sealed partial class AgentGrain
{
    /// <summary>How much of a second's worth of statements an idle agent may send at once.</summary>
    private const double BurstSeconds = 0.25;

    private StatementRateLimit? _rate;
    private double _tokens;
    private long _refilledAt;

    /// <summary>An edge that does not come back for the token held for it within this (after it was due) gives up its turn.</summary>
    private static readonly TimeSpan OwedHold = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Edges refused a token, in the order they were refused, each with when its turn lapses. A token that accrues is theirs in
    /// that order (one each), so the edge nearest this grain (on its own silo, answered fastest) cannot take every token as it
    /// accrues: tokens are shared between the agent's edges in turn when they all want more than the rate.
    /// </summary>
    private readonly List<(string Edge, long Lapses)> _owed = [];

    public Task<StatementLease> LeaseStatements(StatementRateLimit limit, string edge, int want)
    {
        ArgumentNullException.ThrowIfNull(limit);
        var now = time.GetTimestamp();
        var capacity = Capacity(limit);
        if (_rate is null)
        {
            _tokens = capacity; // the first lease of this activation
        }
        else
        {
            _tokens = Math.Min(capacity, _tokens + (time.GetElapsedTime(_refilledAt, now).TotalSeconds * limit.PerSecond));
        }

        // A new policy version with another rate takes effect at once; the bucket keeps what it holds, up to the new capacity.
        _rate = limit;
        _refilledAt = now;
        _owed.RemoveAll(o => o.Lapses <= now);
        var turn = _owed.FindIndex(o => o.Edge == edge);
        var ahead = turn < 0 ? _owed.Count : turn; // one token is kept for each edge refused before this one
        var granted = (int)Math.Max(0, Math.Min(Math.Clamp(want, 1, limit.MaxLeaseSize), Math.Floor(_tokens - ahead)));
        if (granted > 0)
        {
            _tokens -= granted;
            if (turn >= 0)
            {
                _owed.RemoveAt(turn);
            }

            return Task.FromResult(new StatementLease(granted, TimeSpan.Zero));
        }

        var due = TimeSpan.FromSeconds((ahead + 1 - _tokens) / limit.PerSecond);
        var lapses = now + (long)((due + OwedHold).TotalSeconds * time.TimestampFrequency);
        if (turn < 0)
        {
            _owed.Add((edge, lapses));
        }
        else
        {
            _owed[turn] = (edge, lapses);
        }

        return Task.FromResult(new StatementLease(0, due));
    }

    private static double Capacity(StatementRateLimit limit) => Math.Max(limit.LeaseSize, limit.PerSecond * BurstSeconds);

    /// <summary>Why <paramref name="limit"/> refuses one more session, or null; asks the edges first when the list looks full.</summary>
    private async Task<string?> SessionLimitRefusalAsync(SessionLimit? limit, string subject)
    {
        if (limit is null || Sessions.Count < limit.Max)
        {
            return null;
        }

        // The list may hold sessions of edges that died or logouts not seen yet: counted only once their edges were asked.
        // A session whose edge does not answer stays counted (fail closed).
        await CheckEdgesUnlessFreshAsync(); // AgentGrain.Liveness.cs
        return Sessions.Count < limit.Max
            ? null
            : $"session limit of {limit.Max} concurrent sessions for agent {subject} (limit '{limit.Limit}') reached; close a session first";
    }
}

/// <summary>
/// The agent's rows budgets: counted here from the charges edges send after the target's CommandComplete counts, in fixed
/// windows that start at the first charge after the previous one ended. Counts are stored with the agent's next write (each
/// login's, or at deactivation), so a deactivation keeps them; a silo's death loses what was counted since the last write.
/// </summary>
public sealed partial class AgentGrain
{
    /// <summary>Row counts changed in memory since the last write.</summary>
    private bool _unwrittenRowCounts;

    public Task<RowBudgetState> ChargeRows(RowBudgetLimit? read, long rowsRead, RowBudgetLimit? changed, long rowsChanged)
    {
        var now = time.GetUtcNow();
        var readUse = read is null ? null : Charge(state.State.RowsRead ??= new AgentRowWindow { Start = now }, read.Window, rowsRead, now);
        var changedUse = changed is null ? null : Charge(state.State.RowsChanged ??= new AgentRowWindow { Start = now }, changed.Window, rowsChanged, now);
        return Task.FromResult(new RowBudgetState(readUse, changedUse));
    }

    private RowBudgetUse Charge(AgentRowWindow counted, TimeSpan window, long rows, DateTimeOffset now)
    {
        if (counted.Start + window <= now)
        {
            (counted.Start, counted.Used) = (now, 0);
            _unwrittenRowCounts = true;
        }

        if (rows > 0)
        {
            counted.Used += rows;
            _unwrittenRowCounts = true;
        }

        return new RowBudgetUse(counted.Used, counted.Start + window);
    }
}
