namespace OrleansGate.LoadTest.Tests;

public sealed class OneClientResultTests
{
    internal static RunResult Run(string target, double p50, double p99) =>
        new("pgbench -S -M simple", target, 1, 1, 10, 1000, 0, 100, new LatencySummary(p50, p99, p99, p99, p50), 0, 0, null);

    [Fact]
    public void Added_latency_is_the_difference_to_direct_at_each_percentile()
    {
        var gateway = Run("gateway", 450, 900);
        var result = new OneClientResult(10, [Run("direct", 100, 300), Run("pgbouncer", 150, 320), gateway], null);

        Assert.Equal((350.0, 600.0), result.AddedOverDirect(gateway));
    }

    [Fact]
    public void Without_a_direct_run_or_its_samples_nothing_is_added()
    {
        var gateway = Run("gateway", 450, 900);

        Assert.Null(new OneClientResult(10, [gateway], null).AddedOverDirect(gateway));
        Assert.Null(new OneClientResult(10, [Run("direct", 0, 0), gateway], null).AddedOverDirect(gateway));
    }
}
