using System.Diagnostics;

namespace OrleansGate.IntegrationTests.Infrastructure;

/// <summary>
/// Measures how long the whole test process did not run (a blocking garbage collection, or a machine starved of CPU): a
/// dedicated thread, outside the thread pool, notes each time it runs; a gap between two notes longer than
/// <see cref="Tick"/> plus the threshold a caller gives is time in which neither the test's clients nor the gateway nodes
/// hosted in this process ran. Measures, never waits for an outcome.
/// </summary>
internal sealed class ProcessStallMonitor : IDisposable
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(5);

    private readonly Thread _thread;
    private readonly List<TimeSpan> _gaps = [];
    private readonly Lock _lock = new();
    private volatile bool _stopped;

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
        _stopped = true;
        _thread.Join();
    }

    private void Run()
    {
        var clock = Stopwatch.StartNew();
        var last = clock.Elapsed;
        while (!_stopped)
        {
            Thread.Sleep(Tick); // the heartbeat of the measurement itself
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
