using System.Diagnostics;

namespace OrleansGate.LoadTest.Tests;

public sealed class ProcessSamplerTests
{
    [Fact]
    public void Cpu_ticks_of_a_busy_process_grow_and_match_its_own_accounting()
    {
        using var self = Process.GetCurrentProcess();
        var before = ProcessSampler.CpuTicks(self.Id);
        var cpuBefore = self.TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        var x = 0L;
        // Spin until the runtime itself says 300 ms of CPU were used (wall time would be flaky on a busy machine).
        while (wall.Elapsed < TimeSpan.FromSeconds(30))
        {
            for (var i = 0; i < 100_000; i++)
            {
                x += i % 7;
            }

            self.Refresh();
            if (self.TotalProcessorTime - cpuBefore >= TimeSpan.FromMilliseconds(300))
            {
                break;
            }
        }

        var after = ProcessSampler.CpuTicks(self.Id);
        self.Refresh();

        Assert.True(x >= 0);
        // 300 ms of CPU is 30 ticks of 10 ms; allow for tick rounding.
        Assert.True(after - before >= 20, $"ticks grew by {after - before}");
        // The whole process's CPU time from /proc agrees with the runtime's own figure (to 0.5 s).
        Assert.InRange(after / 100.0, self.TotalProcessorTime.TotalSeconds - 0.5, self.TotalProcessorTime.TotalSeconds + 0.5);
    }

    [Fact]
    public void Resident_memory_is_read_in_kibibytes()
    {
        using var self = Process.GetCurrentProcess();
        self.Refresh();

        var rssKb = ProcessSampler.RssKb(self.Id);

        Assert.InRange(rssKb * 1024, self.WorkingSet64 / 2, self.WorkingSet64 * 2);
    }
}
