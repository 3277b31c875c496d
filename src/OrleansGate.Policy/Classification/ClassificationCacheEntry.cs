namespace OrleansGate.Policy.Classification;

/// <summary>A cached classification and when it was last used, for evicting the least recently used.</summary>
internal sealed class ClassificationCacheEntry(StatementClassification value, long now)
{
    private long _lastUsed = now;

    public StatementClassification Value { get; } = value;

    public long LastUsed => Volatile.Read(ref _lastUsed);

    public void Touch(long now)
    {
        // Write only when the millisecond changed, so that hot entries shared by many cores do not
        // bounce their cache line on every hit.
        if (Volatile.Read(ref _lastUsed) != now)
        {
            Volatile.Write(ref _lastUsed, now);
        }
    }
}
