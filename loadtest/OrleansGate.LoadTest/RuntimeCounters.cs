using System.Text.Json;

namespace OrleansGate.LoadTest;

/// <summary>
/// The gateway's own cumulative counters, read from its <c>/debug/runtime</c> endpoint (on when
/// <c>OrleansGate:Http:RuntimeCounters</c> is true): bytes allocated, GCs by generation, CPU time.
/// </summary>
public sealed record RuntimeCounters(long AllocatedBytes, long Gen0Collections, long Gen1Collections, long Gen2Collections, double CpuTimeMs)
{
    public static RuntimeCounters Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        return new RuntimeCounters(
            root.GetProperty("allocatedBytes").GetInt64(),
            root.GetProperty("gen0Collections").GetInt64(),
            root.GetProperty("gen1Collections").GetInt64(),
            root.GetProperty("gen2Collections").GetInt64(),
            root.GetProperty("cpuTimeMs").GetDouble());
    }

    public static async Task<RuntimeCounters> ReadAsync(HttpClient http, Uri url, CancellationToken ct) =>
        Parse(await http.GetStringAsync(url, ct).ConfigureAwait(false));
}
