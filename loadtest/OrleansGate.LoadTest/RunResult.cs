namespace OrleansGate.LoadTest;

/// <summary>One measured run of one workload against one target.</summary>
public sealed record RunResult(
    string Workload,
    string Target,
    int Repeat,
    int Clients,
    double Seconds,
    long Operations,
    long Errors,
    double Throughput,
    LatencySummary Latency,
    double ProxyCpuPercent,
    double ProxyPeakRssMiB,
    string? FirstError)
{
    /// <summary>The gateway's allocations and audit-store cost over this run; null for targets that are not measured so.</summary>
    public GatewayCost? Cost { get; init; }
}
