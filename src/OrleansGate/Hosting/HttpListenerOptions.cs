namespace OrleansGate.Host.Hosting;

/// <summary>The HTTP listener for health, the development identity provider, Prometheus metrics and (opt-in) runtime counters (section <c>OrleansGate:Http</c>).</summary>
public sealed class HttpListenerOptions
{
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>0 disables the HTTP listener.</summary>
    public int Port { get; set; } = 18080;

    /// <summary>
    /// Serves <c>/debug/runtime</c> (GC and CPU counters of this process, for the benchmark) on this listener.
    /// Off by default: it is harmless but of no use outside a benchmark, and the listener may face more than loopback.
    /// </summary>
    public bool RuntimeCounters { get; set; }

    /// <summary>
    /// Serves <c>/metrics</c> (the node's OrleansGate and Orleans metrics, Prometheus text format) on this listener.
    /// On by default: the series carry counts and durations only, never a token, a statement or a value.
    /// </summary>
    public bool Metrics { get; set; } = true;
}
