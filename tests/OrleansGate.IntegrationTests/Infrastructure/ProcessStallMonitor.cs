using System.Diagnostics;

namespace OrleansGate.IntegrationTests.Infrastructure;

/// <summary>
/// Measures how long the whole test process did not run (a blocking garbage collection, or a machine starved of CPU): a
/// dedicated thread, outside the thread pool, wakes every <see cref="Tick"/> (or at once when stopped) and notes each
/// time it runs; a gap between two notes longer than <see cref="Tick"/> plus the threshold a caller gives is time in
/// which neither the test's clients nor the gateway nodes hosted in this process ran. Measures, never waits for an
/// outcome.
/// </summary>
internal sealed class ProcessStallMonitor : IDisposable
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(5);

    private readonly Thread _thread;
    private readonly List<TimeSpan> _gaps = [];
    private readonly Lock _lock = new();
    private readonly ManualResetEventSlim _stopped = new();

    private ProcessStallMonitor()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "test process stall monitor", Priority = ThreadPriority.AboveNormal };
        _thread.Start();
    }

    public static ProcessStallMonitor Start() => new();

    /// <summary>The time beyond <paramref name="threshold"/> of each stall longer than it, summed.</summary>
    public TimeSpan StalledBeyond(TimeSpan threshold)
    {
        lock (_lock)
        {
            return _gaps.Where(g => g > threshold).Aggregate(TimeSpan.Zero, (sum, g) => sum + (g - threshold));
        }
    }

    /// <summary>The longest stall seen.</summary>
    public TimeSpan Longest
    {
        get
        {
            lock (_lock)
            {
                return _gaps.DefaultIfEmpty(TimeSpan.Zero).Max();
            }
        }
    }

    public void Dispose()
    {
        _stopped.Set();
        _thread.Join();
        _stopped.Dispose();
    }

    private void Run()
    {
        var clock = Stopwatch.StartNew();
        var last = clock.Elapsed;
        // Each wait ends at the tick, or at once when the monitor is stopped; a wait that ends late is a standstill.
        while (!_stopped.Wait(Tick))
        {
            var now = clock.Elapsed;
            var gap = now - last - Tick;
            if (gap > TimeSpan.FromMilliseconds(50))
            {
                lock (_lock)
                {
                    _gaps.Add(gap);
                }
            }

            last = now;
        }
    }
}
