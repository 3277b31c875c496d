using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrleansGate.Model;

namespace OrleansGate.Audit;

/// <summary>
/// Records that must still be written although nothing waits for them any more: the logout of a session that ended
/// while the audit store was down, with the completions of its last executions. The session grain hands over its chain
/// (which knows what its last, lost append held) and the records, with their true times; they are written, in order,
/// as soon as the store answers. Held in memory: a node that stops first loses them, and says so in its log.
/// </summary>
public sealed partial class AuditBacklog(TimeProvider time, ILogger<AuditBacklog> logger) : BackgroundService
{
    /// <summary>Records held at most; beyond it, further ones are dropped and counted (one Error a minute).</summary>
    public const int Capacity = 100_000;

    private static readonly TimeSpan MinRetry = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan MaxRetry = TimeSpan.FromSeconds(5);

    private readonly Lock _lock = new();
    private readonly List<(AuditChain Chain, IReadOnlyList<AuditRecord> Records)> _waiting = [];
    private readonly OutageLog _dropped = new(time, TimeSpan.FromMinutes(1));
    private readonly SemaphoreSlim _signal = new(0);
    private int _count;

    /// <summary>How many records wait now.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _count;
            }
        }
    }

    /// <summary>Takes <paramref name="records"/> of <paramref name="chain"/>, whose owner will not append to it again.</summary>
    public void Add(AuditChain chain, IReadOnlyList<AuditRecord> records)
    {
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentNullException.ThrowIfNull(records);
        lock (_lock)
        {
            if (_count + records.Count > Capacity)
            {
                if (_dropped.Failed().Kind != OutageLogKind.None)
                {
                    LogDropped(logger, records.Count, chain.ChainId, Capacity);
                }

                return;
            }

            _waiting.Add((chain, records));
            _count += records.Count;
        }

        _signal.Release();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = MinRetry;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await _signal.WaitAsync(stoppingToken);
                while (!await WriteWaitingAsync(stoppingToken))
                {
                    await Task.Delay(delay, time, stoppingToken);
                    delay = delay * 2 > MaxRetry ? MaxRetry : delay * 2;
                }

                delay = MinRetry;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        if (Count is var left and > 0)
        {
            LogLostAtStop(logger, left);
        }
    }

    /// <summary>Writes what waits, oldest first; false when the store refused (what is left waits for the next round).</summary>
    public async Task<bool> WriteWaitingAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            (AuditChain Chain, IReadOnlyList<AuditRecord> Records) next;
            lock (_lock)
            {
                if (_waiting.Count == 0)
                {
                    return true;
                }

                next = _waiting[0];
            }

            try
            {
                await next.Chain.AppendAsync(next.Records, cancellationToken);
            }
            catch (AuditUnavailableException)
            {
                return false;
            }

            lock (_lock)
            {
                _waiting.RemoveAt(0);
                _count -= next.Records.Count;
            }

            LogWritten(logger, next.Records.Count, next.Chain.ChainId);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Count} records of chain {ChainId} held while the audit store was unavailable are written now")]
    private static partial void LogWritten(ILogger logger, int count, string chainId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Audit backlog full ({Capacity} records): {Count} records of chain {ChainId} dropped (further drops are summarised once a minute)")]
    private static partial void LogDropped(ILogger logger, int count, string chainId, int capacity);

    [LoggerMessage(Level = LogLevel.Error, Message = "The node stops with {Count} records not written (logouts and completions of sessions that ended while the audit store was unavailable): they are lost")]
    private static partial void LogLostAtStop(ILogger logger, int count);
}
