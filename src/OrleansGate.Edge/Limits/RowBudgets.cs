using System.Collections.Concurrent;
using OrleansGate.Grains;
using OrleansGate.Model;

namespace OrleansGate.Edge.Limits;

/// <summary>
/// This edge's view of each agent's rows budgets (rows read, rows changed), shared by the agent's sessions here. Rows are
/// charged to the agent grain after the target reported them (CommandComplete), batched: one charge per agent in flight,
/// carrying everything counted meanwhile. Whether a budget is spent is read from the grain's last answer, asked again when
/// older than <see cref="Freshness"/>, so a budget another edge spent is seen here within that.
/// </summary>
public sealed class RowBudgets(IGrainFactory grains, TimeProvider time)
{
    /// <summary>The grain's answer is trusted this long before a statement asks it again.</summary>
    public static readonly TimeSpan Freshness = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, AgentRows> _agents = new(StringComparer.Ordinal);

    /// <summary>Counts rows the target reported for the agent; sent to its grain in the background.</summary>
    public void Charge(string agentKey, AgentLimits limits, long read, long changed)
    {
        ArgumentNullException.ThrowIfNull(limits);
        var rows = Of(agentKey);
        rows.Add(limits.RowsRead is null ? 0 : read, limits.RowsChanged is null ? 0 : changed);
        rows.Flush(limits);
    }

    /// <summary>
    /// The budget a statement that <paramref name="reads"/> or <paramref name="writes"/> would exceed, with its count; null
    /// when none is spent. Asks the agent grain when this edge's view is not fresh.
    /// </summary>
    public async ValueTask<(RowBudgetLimit Limit, RowBudgetUse Use)?> SpentAsync(string agentKey, AgentLimits limits, bool reads, bool writes)
    {
        ArgumentNullException.ThrowIfNull(limits);
        var rows = Of(agentKey);
        var known = rows.Known;
        if (known is null || time.GetUtcNow() - known.At > Freshness)
        {
            known = await rows.AskAsync(limits).ConfigureAwait(false);
        }

        var now = time.GetUtcNow();
        return writes && limits.RowsChanged is { } changed && IsSpent(changed, known.State.Changed, rows.UnconfirmedChanged, now) ? (changed, known.State.Changed!)
            : reads && limits.RowsRead is { } read && IsSpent(read, known.State.Read, rows.UnconfirmedRead, now) ? (read, known.State.Read!)
            : null;
    }

    /// <summary>
    /// What is left of the agent's rows-changed budget as this edge knows it (its last answer from the grain, less what is
    /// counted here that no answer holds yet: not sent, or in the charge in flight); the full budget when no window is open.
    /// </summary>
    public long ChangedRemaining(string agentKey, RowBudgetLimit limit)
    {
        ArgumentNullException.ThrowIfNull(limit);
        var rows = Of(agentKey);
        var used = rows.Known?.State.Changed is { } use && time.GetUtcNow() < use.ResetsAt ? use.Used : 0;
        return Math.Max(0, limit.Max - used - rows.UnconfirmedChanged);
    }

    /// <summary>
    /// Completes when the agent's charge in flight, if any, has ended (answered, or failed and left for the next charge),
    /// with those it sent after it for rows counted meanwhile.
    /// </summary>
    public Task ChargedAsync(string agentKey) => Of(agentKey).Flushing;

    private static bool IsSpent(RowBudgetLimit limit, RowBudgetUse? use, long pending, DateTimeOffset now) =>
        use is not null && now < use.ResetsAt && use.Used + pending >= limit.Max;

    private AgentRows Of(string agentKey) =>
        _agents.GetOrAdd(agentKey, key => new AgentRows(grains.GetGrain<IAgentGrain>(key), time));

    /// <summary>The grain's last answer and when it came.</summary>
    private sealed record Answer(RowBudgetState State, DateTimeOffset At);

    private sealed class AgentRows(IAgentGrain agent, TimeProvider time)
    {
        private readonly Lock _lock = new();

        // Rows counted here since the edge started, and of them those an answer of the grain holds (advanced only by the
        // one charge in flight, after its answer is known). The difference is what no answer holds yet: a row in transit
        // may be counted twice for a moment (in the answer and here), never not at all.
        private long _countedRead;
        private long _countedChanged;
        private long _confirmedRead;
        private long _confirmedChanged;
        private int _charges;
        private Task? _flushing;

        public Answer? Known { get; private set; }

        public Task Flushing
        {
            get
            {
                lock (_lock)
                {
                    return _flushing ?? Task.CompletedTask;
                }
            }
        }

        /// <summary>Rows read counted here that the grain's last answer does not hold yet (not sent, or in flight).</summary>
        public long UnconfirmedRead => Interlocked.Read(ref _countedRead) - Interlocked.Read(ref _confirmedRead);

        /// <summary>Rows changed counted here that the grain's last answer does not hold yet (not sent, or in flight).</summary>
        public long UnconfirmedChanged => Interlocked.Read(ref _countedChanged) - Interlocked.Read(ref _confirmedChanged);

        public void Add(long read, long changed)
        {
            Interlocked.Add(ref _countedRead, read);
            Interlocked.Add(ref _countedChanged, changed);
        }

        /// <summary>Sends what is unconfirmed unless a charge is in flight (which sends the rest when it returns).</summary>
        public void Flush(AgentLimits limits)
        {
            lock (_lock)
            {
                if (_flushing is null && (UnconfirmedRead > 0 || UnconfirmedChanged > 0))
                {
                    _flushing = FlushAsync(limits);
                }
            }
        }

        public async Task<Answer> AskAsync(AgentLimits limits)
        {
            var charges = Volatile.Read(ref _charges);
            var state = await agent.ChargeRows(limits.RowsRead, 0, limits.RowsChanged, 0).ConfigureAwait(false);
            var answer = new Answer(state, time.GetUtcNow());
            if (Volatile.Read(ref _charges) != charges && Known is { } charged)
            {
                // A charge was confirmed meanwhile: its answer holds its rows, this one may have been made before it.
                return charged;
            }

            return Known = answer;
        }

        private async Task FlushAsync(AgentLimits limits)
        {
            await Task.Yield(); // not under the caller's lock
            while (true)
            {
                var (read, changed) = (Interlocked.Read(ref _countedRead), Interlocked.Read(ref _countedChanged));
                try
                {
                    var state = await agent.ChargeRows(
                        limits.RowsRead, read - Interlocked.Read(ref _confirmedRead),
                        limits.RowsChanged, changed - Interlocked.Read(ref _confirmedChanged)).ConfigureAwait(false);
                    Known = new Answer(state, time.GetUtcNow());
                    Interlocked.Increment(ref _charges);
                    Interlocked.Exchange(ref _confirmedRead, read);
                    Interlocked.Exchange(ref _confirmedChanged, changed);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // Still unconfirmed, sent with the next charge: rows the target reported are never dropped while the
                    // grain is unreachable. (A charge whose answer was lost may have landed: counted again, fail closed.)
                    lock (_lock)
                    {
                        _flushing = null;
                    }

                    return;
                }

                lock (_lock)
                {
                    if (UnconfirmedRead == 0 && UnconfirmedChanged == 0)
                    {
                        _flushing = null;
                        return;
                    }
                }
            }
        }
    }
}
