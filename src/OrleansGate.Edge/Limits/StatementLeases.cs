using System.Collections.Concurrent;
using OrleansGate.Grains;
using OrleansGate.Model;

namespace OrleansGate.Edge.Limits;

/// <summary>
/// This edge's statement tokens, per agent, shared by all of that agent's sessions here: leased in small batches from the
/// agent grain (the single owner of the agent's rate, DESIGN §4), so most statements take a token without any call.
/// </summary>
/// <remarks>
/// A lease lives <see cref="LeaseLifetime"/>: tokens not spent by then are dropped, never hoarded. One lease call per agent
/// is in flight at a time; sessions that find no token wait for it. When the grain grants none, this edge refuses the
/// agent's statements until the grain said the bucket holds a token again, without asking it meanwhile.
/// </remarks>
public sealed class StatementLeases(IGrainFactory grains, TimeProvider time)
{
    /// <summary>Unspent tokens are dropped this long after their lease.</summary>
    public static readonly TimeSpan LeaseLifetime = TimeSpan.FromSeconds(1);

    /// <summary>Past this many agents, idle entries are swept when a new agent arrives.</summary>
    private const int SweepAbove = 4096;

    private readonly ConcurrentDictionary<string, AgentTokens> _agents = new(StringComparer.Ordinal);

    /// <summary>This edge as the agent grains know it when they share tokens out in turn.</summary>
    private readonly string _edge = Guid.NewGuid().ToString("N");

    /// <summary>Takes one statement token for the agent; null when taken, else how long until the agent may try again.</summary>
    /// <exception cref="Exception">The agent grain could not be asked (the caller refuses the statement: fail closed).</exception>
    public ValueTask<TimeSpan?> TakeAsync(string agentKey, StatementRateLimit limit)
    {
        ArgumentNullException.ThrowIfNull(limit);
        if (!_agents.TryGetValue(agentKey, out var tokens))
        {
            if (_agents.Count > SweepAbove)
            {
                Sweep();
            }

            tokens = _agents.GetOrAdd(agentKey, key => new AgentTokens(grains.GetGrain<IAgentGrain>(key), _edge, time));
        }

        return tokens.TakeAsync(limit);
    }

    /// <summary>Agents with an entry (for tests and the sweep).</summary>
    public int Count => _agents.Count;

    private void Sweep()
    {
        foreach (var (key, tokens) in _agents)
        {
            if (tokens.Idle)
            {
                _agents.TryRemove(new KeyValuePair<string, AgentTokens>(key, tokens));
            }
        }
    }

    private sealed class AgentTokens(IAgentGrain agent, string edge, TimeProvider time)
    {
        /// <summary>A session finding the tokens taken by others after a lease asks again this often before it is refused.</summary>
        private const int MaxLeaseRounds = 3;

        private readonly Lock _lock = new();
        private StatementRateLimit? _limit;
        private int _tokens;
        private long _expiresAt;
        private long _refusedUntil;
        private Task? _leasing;

        /// <summary>Statements that asked for a token since the last lease call was sent: what the next one asks for.</summary>
        private int _asked;

        public bool Idle
        {
            get
            {
                lock (_lock)
                {
                    var now = time.GetTimestamp();
                    return _leasing is null && now >= _expiresAt && now >= _refusedUntil;
                }
            }
        }

        public ValueTask<TimeSpan?> TakeAsync(StatementRateLimit limit)
        {
            Interlocked.Increment(ref _asked);
            return TryTake(limit, out var leasing) is var taken && leasing is null ? new(taken) : WaitForLeaseAsync(limit, leasing);
        }

        /// <summary>A token, or a refusal's wait, decided now; or the lease to wait for (<paramref name="leasing"/>).</summary>
        private TimeSpan? TryTake(StatementRateLimit limit, out Task? leasing)
        {
            lock (_lock)
            {
                leasing = null;
                var now = time.GetTimestamp();
                if (!limit.Equals(_limit))
                {
                    // Another policy version set another rate: what was leased under the old one is dropped.
                    (_limit, _tokens, _refusedUntil) = (limit, 0, 0);
                }

                if (_tokens > 0 && now < _expiresAt)
                {
                    _tokens--;
                    return null;
                }

                if (now < _refusedUntil)
                {
                    return time.GetElapsedTime(now, _refusedUntil);
                }

                if (_leasing is { IsCompleted: true })
                {
                    _leasing = null; // a lease that ended before it was stored here (it failed at once)
                }

                // As many as the sessions asked for during the last round trip (they will again during this one), at
                // least a lease: the grain grants at most MaxLeaseSize, and only what its bucket holds.
                leasing = _leasing ??= LeaseAsync(limit, Math.Max(limit.LeaseSize, Interlocked.Exchange(ref _asked, 0)));
                return null;
            }
        }

        private async ValueTask<TimeSpan?> WaitForLeaseAsync(StatementRateLimit limit, Task leasing)
        {
            for (var round = 0; ; round++)
            {
                await leasing.ConfigureAwait(false);
                var taken = TryTake(limit, out var next);
                if (next is null)
                {
                    return taken;
                }

                if (round + 1 == MaxLeaseRounds)
                {
                    // Other sessions of the agent took each lease first: refused for now, as if the bucket were empty.
                    return TimeSpan.FromSeconds(1 / limit.PerSecond);
                }

                leasing = next;
            }
        }

        private async Task LeaseAsync(StatementRateLimit limit, int want)
        {
            try
            {
                var lease = await agent.LeaseStatements(limit, edge, want).ConfigureAwait(false);
                lock (_lock)
                {
                    var now = time.GetTimestamp();
                    if (limit.Equals(_limit))
                    {
                        _tokens = lease.Granted;
                        _expiresAt = now + (long)(LeaseLifetime.TotalSeconds * time.TimestampFrequency);
                        _refusedUntil = lease.Granted > 0 ? 0 : now + (long)(lease.RetryAfter.TotalSeconds * time.TimestampFrequency);
                    }
                }
            }
            finally
            {
                lock (_lock)
                {
                    _leasing = null;
                }
            }
        }
    }
}
