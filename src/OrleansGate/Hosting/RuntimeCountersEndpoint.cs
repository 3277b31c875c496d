using System.Diagnostics;
using System.Text.Json.Nodes;

namespace OrleansGate.Host.Hosting;

/// <summary>
/// <c>GET /debug/runtime</c>: this process's cumulative GC and CPU counters, so a benchmark can read them before
/// and after a run and divide by its statements. Off unless <see cref="HttpListenerOptions.RuntimeCounters"/>.
/// </summary>
public static class RuntimeCountersEndpoint
{
    public const string Path = "/debug/runtime";

    /// <summary>Counters only: no configuration, names, connections or anything else a caller could learn from.</summary>
    public static JsonObject Read()
    {
        using var process = Process.GetCurrentProcess();
        return new JsonObject
        {
            ["allocatedBytes"] = GC.GetTotalAllocatedBytes(precise: true),
            ["gen0Collections"] = GC.CollectionCount(0),
            ["gen1Collections"] = GC.CollectionCount(1),
            ["gen2Collections"] = GC.CollectionCount(2),
            ["workingSetBytes"] = process.WorkingSet64,
            ["cpuTimeMs"] = process.TotalProcessorTime.TotalMilliseconds,
        };
    }

    public static IEndpointRouteBuilder MapRuntimeCounters(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet(Path, () => Results.Text(Read().ToJsonString(), "application/json; charset=utf-8"));
        return app;
    }
}
