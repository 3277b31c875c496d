namespace OrleansGate.Policy.Classification;

/// <summary>Settings of <see cref="SqlClassifier"/>.</summary>
public sealed class SqlClassifierOptions
{
    /// <summary>
    /// How many distinct statement texts stay cached, and separately how many normalized shapes
    /// (statements differing only in literals); 0 disables both caches.
    /// </summary>
    public int CacheCapacity { get; init; } = 10_000;

    /// <summary>
    /// Longer texts are classified every time instead of cached, so that the cache's memory stays bounded
    /// (2 × capacity × this length × 2 bytes at worst, plus the classifications) whatever an agent sends.
    /// </summary>
    public int MaxCachedStatementLength { get; init; } = 4096;
}
