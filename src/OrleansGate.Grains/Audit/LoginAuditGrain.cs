using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using OrleansGate.Model;
using OrleansGate.Audit;

namespace OrleansGate.Grains.Audit;

/// <summary>
/// The login-refusal chain of one edge node (<see cref="AuditChainIds.LoginRefusals"/>): refusals are queued by
/// <see cref="Record"/> (which only enqueues, so it interleaves and answers at once) and written in order by one
/// drain loop, the chain's single writer.
/// </summary>
/// <remarks>
/// A flood of refusals cannot grow memory without bound: the queue holds <see cref="QueueCapacity"/> refusals;
/// beyond that they are dropped and counted, one Warning per flood, and a record with the count is written once
/// the queue drains. While the audit store is down the drain retries with backoff and logs one Error per outage.
/// </remarks>
public sealed partial class LoginAuditGrain(IAuditSink audit, TimeProvider time, ILogger<LoginAuditGrain> logger) : Grain, ILoginAuditGrain
{
    public const int QueueCapacity = 1024;

    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan MaxRetry = TimeSpan.FromSeconds(30);

    private readonly Channel<LoginRefusal> _queue = Channel.CreateBounded<LoginRefusal>(
        new BoundedChannelOptions(QueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    private readonly CancellationTokenSource _stopping = new();
    private readonly List<(long Target, TaskCompletionSource<long> Done)> _flushWaiters = [];
    private AuditChain _chain = null!;
    private Task _drain = Task.CompletedTask;
    private long _queued;
    private long _done;
    private long _written;
    private long _dropped;
    private bool _dropping;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _chain = AuditChain.Resume(audit, AuditChainIds.LoginRefusals(this.GetPrimaryKeyString()));

        // Runs on this activation's scheduler; Record and Flushed interleave with it and touch only the queue and counters.
        _drain = DrainAsync(_stopping.Token);
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        try
        {
            // Whatever is queued gets the deactivation's time to be written; then the loop is stopped.
            await _drain.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }

        await _stopping.CancelAsync();
        foreach (var (_, done) in _flushWaiters)
        {
            done.TrySetResult(_written);
        }

        var lost = _queued - _done;
        if (lost > 0)
        {
            LogLostAtDeactivation(logger, this.GetPrimaryKeyString(), lost);
        }
    }

    public Task<bool> Record(LoginRefusal refusal)
    {
        ArgumentNullException.ThrowIfNull(refusal);
        if (_queue.Writer.TryWrite(refusal))
        {
            _queued++;
            return Task.FromResult(true);
        }

        _dropped++;
        if (!_dropping)
        {
            _dropping = true;
            LogDropping(logger, this.GetPrimaryKeyString(), QueueCapacity);
        }

        return Task.FromResult(false);
    }

    /// <summary>Completes once the queue has drained past everything queued before the call (and any count of dropped refusals is recorded).</summary>
    public Task<long> Flushed()
    {
        if (_done >= _queued && _dropped == 0)
        {
            return Task.FromResult(_written);
        }

        var waiter = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        _flushWaiters.Add((_queued, waiter));
        return waiter.Task;
    }

    private async Task DrainAsync(CancellationToken stopping)
    {
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stopping))
            {
                while (_queue.Reader.TryRead(out var refusal))
                {
                    await AppendWithRetryAsync(AuditRecords.LoginRefused(refusal), stopping);
                    _done++;
                }

                if (_dropped > 0)
                {
                    // The queue drained: say how many were not recorded, in the chain itself.
                    var dropped = _dropped;
                    _dropped = 0;
                    _dropping = false;
                    await AppendWithRetryAsync(AuditRecords.LoginRefusalsDropped(time.GetUtcNow(), this.GetPrimaryKeyString(), dropped), stopping);
                }

                // Only now: a waiter also sees the record of what was dropped before it asked.
                ReleaseFlushWaiters();
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    private async Task AppendWithRetryAsync(AuditRecord record, CancellationToken stopping)
    {
        var delay = FirstRetry;
        var failures = 0;
        while (true)
        {
            try
            {
                await _chain.AppendAsync(record, stopping);
                _written++;
                if (failures > 0)
                {
                    LogResumed(logger, this.GetPrimaryKeyString(), failures);
                }

                return;
            }
            catch (AuditUnavailableException e)
            {
                if (failures++ == 0)
                {
                    LogUnavailable(logger, this.GetPrimaryKeyString(), e.Message);
                }
            }

            await Task.Delay(delay, time, stopping);
            delay = delay * 2 > MaxRetry ? MaxRetry : delay * 2;
        }
    }

    private void ReleaseFlushWaiters()
    {
        for (var i = _flushWaiters.Count - 1; i >= 0; i--)
        {
            if (_flushWaiters[i].Target <= _done)
            {
                _flushWaiters[i].Done.TrySetResult(_written);
                _flushWaiters.RemoveAt(i);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Login audit of edge {Edge}: queue full ({Capacity}); further refused logins are dropped and counted until it drains")]
    private static partial void LogDropping(ILogger logger, string edge, int capacity);

    [LoggerMessage(Level = LogLevel.Error, Message = "Login audit of edge {Edge}: audit store unavailable ({Error}); refused logins wait in a bounded queue, retried with backoff")]
    private static partial void LogUnavailable(ILogger logger, string edge, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Login audit of edge {Edge}: writing again after {Failures} failed attempts")]
    private static partial void LogResumed(ILogger logger, string edge, int failures);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Login audit of edge {Edge}: {Lost} refused logins were not recorded before deactivation")]
    private static partial void LogLostAtDeactivation(ILogger logger, string edge, long lost);
}
