using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace OrleansGate.Audit;

/// <summary>
/// Benchmark-only: acknowledges every record without writing it, to measure what audit costs. Only installed when
/// <see cref="AuditOptions.DisableForBenchmark"/> carries the exact consent text; shouts at start and every minute.
/// </summary>
public sealed partial class BenchmarkNoAuditSink(TimeProvider time, ILogger<BenchmarkNoAuditSink> logger) : BackgroundService, IAuditSink
{
    private long _dropped;

    public ValueTask AppendAsync(AuditRow row, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _dropped);
        return ValueTask.CompletedTask;
    }

    public ValueTask AppendAsync(IReadOnlyList<AuditRow> rows, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        Interlocked.Add(ref _dropped, rows.Count);
        return ValueTask.CompletedTask;
    }

    public ValueTask<AuditChainHead?> ReadHeadAsync(string chainId, CancellationToken cancellationToken = default) => ValueTask.FromResult<AuditChainHead?>(null);

    public ValueTask ProbeAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        LogDisabled(logger, Interlocked.Read(ref _dropped));
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMinutes(1), time, stoppingToken);
                LogDisabled(logger, Interlocked.Read(ref _dropped));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "AUDIT IS OFF (OrleansGate:Audit:DisableForBenchmark): nothing is recorded; benchmarks only, never production. {Count} records dropped so far")]
    private static partial void LogDisabled(ILogger logger, long count);
}
