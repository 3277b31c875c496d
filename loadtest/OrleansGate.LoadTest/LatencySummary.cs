namespace OrleansGate.LoadTest;

/// <summary>Latency percentiles in microseconds over every recorded operation of a run.</summary>
public sealed record LatencySummary(double P50, double P95, double P99, double Max, double Mean)
{
    public static LatencySummary Empty { get; } = new(0, 0, 0, 0, 0);

    public static LatencySummary From(IEnumerable<List<int>> perWorker)
    {
        var all = perWorker.SelectMany(l => l).ToArray();
        if (all.Length == 0)
        {
            return Empty;
        }

        Array.Sort(all);
        return new LatencySummary(At(all, 0.50), At(all, 0.95), At(all, 0.99), all[^1], all.Average());
    }

    // Nearest-rank percentile: the smallest value with at least q of the samples at or below it.
    private static double At(int[] sorted, double q) => sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
}
