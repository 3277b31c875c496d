using OrleansGate.Host.Hosting;

namespace OrleansGate.Tests.Hosting;

public sealed class RuntimeCountersEndpointTests
{
    [Fact]
    public void Answer_holds_the_counters_and_nothing_else()
    {
        var answer = RuntimeCountersEndpoint.Read();

        Assert.Equal(
            ["allocatedBytes", "cpuTimeMs", "gen0Collections", "gen1Collections", "gen2Collections", "workingSetBytes"],
            answer.Select(p => p.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Allocated_bytes_grow_by_at_least_what_this_thread_allocated()
    {
        var before = (long)RuntimeCountersEndpoint.Read()["allocatedBytes"]!;
        var block = new byte[4 * 1024 * 1024];
        GC.KeepAlive(block);

        var after = (long)RuntimeCountersEndpoint.Read()["allocatedBytes"]!;

        Assert.True(after - before >= block.Length, $"allocated {after - before} bytes, expected at least {block.Length}");
    }
}
