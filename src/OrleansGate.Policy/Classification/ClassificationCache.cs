using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace OrleansGate.Policy.Classification;

/// <summary>
/// Classifications by exact statement text, bounded by entry count. A hit is one dictionary lookup and a
/// clock read; when the count passes the capacity, one thread drops the least recently used quarter.
/// </summary>
internal sealed class ClassificationCache(int capacity)
{
    private readonly ConcurrentDictionary<string, ClassificationCacheEntry> _entries = new(StringComparer.Ordinal);
    private int _count;
    private int _evicting;

    public int Count => Volatile.Read(ref _count);

    public bool TryGet(string sql, [MaybeNullWhen(false)] out StatementClassification classification)
    {
        if (_entries.TryGetValue(sql, out var entry))
        {
            entry.Touch(Environment.TickCount64);
            classification = entry.Value;
            return true;
        }

        classification = null;
        return false;
    }

    /// <summary>Stores the classification unless another thread stored one first; returns the stored one.</summary>
    public StatementClassification GetOrAdd(string sql, StatementClassification classification)
    {
        if (capacity <= 0)
        {
            return classification;
        }

        var entry = new ClassificationCacheEntry(classification, Environment.TickCount64);
        var stored = _entries.GetOrAdd(sql, entry);
        if (ReferenceEquals(stored, entry) && Interlocked.Increment(ref _count) > capacity)
        {
            Evict();
        }

        return stored.Value;
    }

    private void Evict()
    {
        if (Interlocked.Exchange(ref _evicting, 1) == 1)
        {
            return;
        }

        try
        {
            // Sorting the snapshot's timestamps (plain longs) costs O(n log n) once per capacity/4
            // insertions: O(log n) per insertion.
            var snapshot = _entries.ToArray();
            var excess = snapshot.Length - (capacity - (capacity / 4));
            if (excess <= 0)
            {
                return;
            }

            var stamps = new long[snapshot.Length];
            for (var i = 0; i < snapshot.Length; i++)
            {
                stamps[i] = snapshot[i].Value.LastUsed;
            }

            Array.Sort(stamps);
            var threshold = stamps[excess - 1];
            var removed = 0;
            foreach (var pair in snapshot)
            {
                if (removed < excess && pair.Value.LastUsed <= threshold && _entries.TryRemove(pair))
                {
                    Interlocked.Decrement(ref _count);
                    removed++;
                }
            }
        }
        finally
        {
            Volatile.Write(ref _evicting, 0);
        }
    }
}
