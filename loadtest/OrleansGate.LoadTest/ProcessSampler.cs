using System.Globalization;

namespace OrleansGate.LoadTest;

/// <summary>
/// CPU time and resident memory of one process from /proc (Linux): CPU is utime + stime between
/// <see cref="Start"/> and <see cref="StopAsync"/>; peak memory is the largest VmRSS seen while sampling.
/// </summary>
public sealed class ProcessSampler : IAsyncDisposable
{
    // USER_HZ: the unit of utime/stime in /proc/PID/stat; 100 on every Linux architecture .NET runs on.
    public const double TicksPerSecond = 100.0;

    private readonly int _pid;
    private readonly CancellationTokenSource _stop = new();
    private long _startTicks;
    private long _startWall;
    private long _peakRssKb;
    private Task? _sampling;

    public ProcessSampler(int pid) => _pid = pid;

    public void Start()
    {
        if (_pid <= 0)
        {
            return;
        }

        _startTicks = CpuTicks(_pid);
        _startWall = Environment.TickCount64;
        _peakRssKb = RssKb(_pid);
        _sampling = SampleAsync(_stop.Token);
    }

    /// <summary>Returns (CPU as % of one core, peak RSS in MiB); zeros when no process is watched.</summary>
    public async Task<(double CpuPercent, double PeakRssMiB)> StopAsync()
    {
        if (_pid <= 0 || _sampling is null)
        {
            return (0, 0);
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _sampling.ConfigureAwait(false);
        var cpuSeconds = (CpuTicks(_pid) - _startTicks) / TicksPerSecond;
        var wallSeconds = Math.Max(1, Environment.TickCount64 - _startWall) / 1000.0;
        _peakRssKb = Math.Max(_peakRssKb, RssKb(_pid));
        return (100.0 * cpuSeconds / wallSeconds, _peakRssKb / 1024.0);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_sampling is not null)
        {
            await _sampling.ConfigureAwait(false);
        }

        _stop.Dispose();
    }

    private async Task SampleAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                _peakRssKb = Math.Max(_peakRssKb, RssKb(_pid));
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public static long CpuTicks(int pid)
    {
        // The command name (field 2) may hold spaces; the fields after its closing ')' are fixed.
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // After ')' the first field is state (3); utime is field 14 and stime 15 (proc(5)), i.e. index 11 and 12.
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }

    public static long RssKb(int pid) => StatusKb(pid, "VmRSS:");

    public static long StatusKb(int pid, string key)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith(key, StringComparison.Ordinal))
            {
                var value = line[key.Length..].Trim();
                return long.Parse(value[..value.IndexOf(' ', StringComparison.Ordinal)], CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }
}
