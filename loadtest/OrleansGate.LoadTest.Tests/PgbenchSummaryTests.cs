namespace OrleansGate.LoadTest.Tests;

public sealed class PgbenchSummaryTests
{
    private const string Output = """
        pgbench (15.18)
        transaction type: <builtin: select only>
        scaling factor: 10
        query mode: simple
        number of clients: 64
        number of threads: 2
        maximum number of tries: 1
        duration: 8 s
        number of transactions actually processed: 150042
        number of failed transactions: 3 (0.002%)
        latency average = 3.413 ms
        initial connection time = 120.512 ms
        tps = 18755.123456 (without initial connection time)
        """;

    [Fact]
    public void Summary_lines_are_read_into_tps_count_failures_and_mean_latency()
    {
        var (tps, processed, failed, latencyMs) = PgbenchRunner.ParseSummary(Output);

        Assert.Equal(18755.123456, tps, 6);
        Assert.Equal(150042, processed);
        Assert.Equal(3, failed);
        Assert.Equal(3.413, latencyMs, 3);
    }

    [Fact]
    public void Output_without_a_summary_reads_as_zero_throughput()
    {
        var (tps, processed, _, _) = PgbenchRunner.ParseSummary("pgbench: error: connection to server failed: FATAL:  token rejected");

        Assert.Equal(0, tps);
        Assert.Equal(0, processed);
    }

    [Theory]
    [InlineData("pgbench-S-simple", true, "simple")]
    [InlineData("pgbench-S-prepared", true, "prepared")]
    [InlineData("pgbench-S-bogus", false, "bogus")]
    [InlineData("select", false, "")]
    public void Workload_names_map_to_pgbench_query_modes(string workload, bool known, string mode)
    {
        Assert.Equal(known, PgbenchRunner.TryParseMode(workload, out var parsed));
        Assert.Equal(mode, parsed);
    }
}
