namespace OrleansGate.LoadTest.Tests;

public sealed class LatencySummaryTests
{
    [Fact]
    public void Percentiles_use_the_nearest_rank_over_all_workers()
    {
        // 1..100 µs split over two workers: nearest rank puts p50 at 50, p95 at 95, p99 at 99.
        var summary = LatencySummary.From([[.. Enumerable.Range(1, 50)], [.. Enumerable.Range(51, 50)]]);

        Assert.Equal(50, summary.P50);
        Assert.Equal(95, summary.P95);
        Assert.Equal(99, summary.P99);
        Assert.Equal(100, summary.Max);
        Assert.Equal(50.5, summary.Mean);
    }

    [Fact]
    public void No_samples_give_an_empty_summary()
    {
        Assert.Equal(LatencySummary.Empty, LatencySummary.From([[], []]));
    }
}
