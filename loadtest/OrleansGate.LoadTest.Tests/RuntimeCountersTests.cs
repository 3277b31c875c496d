namespace OrleansGate.LoadTest.Tests;

public sealed class RuntimeCountersTests
{
    [Fact]
    public void Gateway_answer_is_read_field_by_field()
    {
        var counters = RuntimeCounters.Parse("""{"allocatedBytes":123456789012,"gen0Collections":40,"gen1Collections":7,"gen2Collections":1,"workingSetBytes":99,"cpuTimeMs":2500.5}""");

        Assert.Equal(new RuntimeCounters(123_456_789_012, 40, 7, 1, 2500.5), counters);
    }

    [Fact]
    public void Answer_without_allocated_bytes_is_refused()
    {
        Assert.Throws<KeyNotFoundException>(() => RuntimeCounters.Parse("""{"gen0Collections":40,"gen1Collections":7,"gen2Collections":1,"cpuTimeMs":1}"""));
    }
}
