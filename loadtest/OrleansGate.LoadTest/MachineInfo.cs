namespace OrleansGate.LoadTest;

/// <summary>The machine a run was measured on, from /proc.</summary>
public sealed record MachineInfo(int Cores, string CpuModel, double MemoryGiB, string Kernel, string Runtime)
{
    public static MachineInfo Read()
    {
        var model = File.ReadLines("/proc/cpuinfo")
            .FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";
        var memKb = File.ReadLines("/proc/meminfo")
            .Where(l => l.StartsWith("MemTotal:", StringComparison.Ordinal))
            .Select(l => long.Parse(l["MemTotal:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture))
            .FirstOrDefault();
        var kernel = File.Exists("/proc/sys/kernel/osrelease") ? File.ReadAllText("/proc/sys/kernel/osrelease").Trim() : "unknown";
        return new MachineInfo(Environment.ProcessorCount, model, memKb / 1024.0 / 1024.0, kernel, System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription);
    }

    /// <summary>1-minute load average: tells whether something else was using the machine.</summary>
    public static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";
}
