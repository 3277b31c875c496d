using System.Diagnostics;
using OrleansGate.Audit;

namespace OrleansGate.Edge.Telemetry;

/// <summary>The edge's audit store, timing each append (as the edge waits for it: through the cluster where the node has no silo).</summary>
public sealed class MeteredAuditSink(IAuditSink inner, EdgeTelemetry telemetry) : IAuditSink
{
    private static readonly KeyValuePair<string, object?> Ok = new("outcome", "ok");
    private static readonly KeyValuePair<string, object?> Failed = new("outcome", "failed");

    public ValueTask AppendAsync(AuditRow row, CancellationToken cancellationToken = default) =>
        TimedAsync(inner.AppendAsync(row, cancellationToken));

    public ValueTask AppendAsync(IReadOnlyList<AuditRow> rows, CancellationToken cancellationToken = default) =>
        TimedAsync(inner.AppendAsync(rows, cancellationToken));

    public ValueTask<AuditChainHead?> ReadHeadAsync(string chainId, CancellationToken cancellationToken = default) =>
        inner.ReadHeadAsync(chainId, cancellationToken);

    public ValueTask ProbeAsync(CancellationToken cancellationToken = default) => inner.ProbeAsync(cancellationToken);

    private async ValueTask TimedAsync(ValueTask append)
    {
        var started = Stopwatch.GetTimestamp();
        var outcome = Failed;
        try
        {
            await append.ConfigureAwait(false);
            outcome = Ok;
        }
        finally
        {
            telemetry.AuditCommitLatency.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, outcome);
        }
    }
}
