using System.Diagnostics;
using OrleansGate.Edge.Sessions;

namespace OrleansGate.Host.Hosting;

/// <summary>
/// Runs the edge's graceful drain when the host stops (SIGTERM): readiness fails, new logins get 57P03, each session ends
/// with 57P01 at its next transaction boundary, and at <see cref="DrainOptions.Timeout"/> the rest are ended anyway.
/// </summary>
/// <remarks>
/// <code>
///  SIGTERM ─► ApplicationStopping ─► [1] EdgeDrain.Begin: /readyz 503 "draining", logins 57P03, idle sessions 57P01
///  host.StopAsync ─► StoppingAsync [2] wait until no connection is left, up to the deadline
///                                  [3] deadline: EdgeDrain.EndRemaining (57P01, statement cancelled, transaction rolled back)
///                  ─► StopAsync of Kestrel, then the silo or cluster client (membership left, grains deactivated),
///                     then the audit writers (queue flushed)
/// </code>
/// Every hosted service's StoppingAsync runs before any StopAsync, so the whole drain happens while the listeners, the
/// silo and the audit store are still up: finishing sessions can still decide, record, and log out.
/// </remarks>
public sealed partial class EdgeDrainService(
    EdgeDrain drain, DrainOptions options, IHostApplicationLifetime lifetime, ILogger<EdgeDrainService> logger) : IHostedLifecycleService
{
    /// <summary>How long sessions ended at the deadline get to close (cancel upstream, record the logout).</summary>
    public static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(10);

    private readonly Lock _beginning = new();
    private Stopwatch? _since;
    private CancellationTokenRegistration _onStopping;

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken)
    {
        // SIGTERM stops the application before the host's StopAsync runs: readiness fails from the signal on.
        _onStopping = lifetime.ApplicationStopping.Register(static s => ((EdgeDrainService)s!).Begin(), this);
        return Task.CompletedTask;
    }

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        await _onStopping.DisposeAsync();
        var since = Begin();
        var remaining = options.Timeout - since.Elapsed;
        var left = 0;
        try
        {
            if (!await EmptyWithinAsync(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, cancellationToken))
            {
                left = drain.EndRemaining();
                LogDeadline(logger, options.Timeout.TotalSeconds, left);
                if (!await EmptyWithinAsync(CloseGrace, cancellationToken))
                {
                    LogStillOpen(logger, drain.Live, CloseGrace.TotalSeconds);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            LogShutdownTimeout(logger, drain.Live);
        }

        var (atBoundary, atDeadline, otherwise) = drain.Ended;
        LogDrained(logger, atBoundary, atDeadline, otherwise, drain.Live, since.Elapsed.TotalMilliseconds);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Begins the drain once; returns the time since it began.</summary>
    private Stopwatch Begin()
    {
        lock (_beginning)
        {
            if (_since is { } started)
            {
                return started;
            }

            _since = Stopwatch.StartNew();
        }

        var open = drain.Begin();
        LogBegan(logger, open, options.Timeout.TotalSeconds);
        return _since;
    }

    private async Task<bool> EmptyWithinAsync(TimeSpan within, CancellationToken cancellationToken)
    {
        try
        {
            await drain.Empty.WaitAsync(within, cancellationToken);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Drain began: {Open} connection(s) open; new logins are refused with 57P03, each session ends with 57P01 at its next transaction boundary, the rest after {Timeout} s")]
    private static partial void LogBegan(ILogger logger, int open, double timeout);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Drain deadline ({Timeout} s) passed with {Left} connection(s) left: ending them with 57P01, their transactions are rolled back")]
    private static partial void LogDeadline(ILogger logger, double timeout, int left);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Drain: {Left} connection(s) still closing {Grace} s after the deadline; the node stops anyway")]
    private static partial void LogStillOpen(ILogger logger, int left, double grace);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Drain cut short by the host's shutdown timeout with {Left} connection(s) left")]
    private static partial void LogShutdownTimeout(ILogger logger, int left);

    [LoggerMessage(Level = LogLevel.Information, Message = "Drain done: {AtBoundary} session(s) ended at a transaction boundary, {AtDeadline} at the deadline, {Otherwise} closed otherwise, {Left} left; took {Milliseconds:0} ms")]
    private static partial void LogDrained(ILogger logger, int atBoundary, int atDeadline, int otherwise, int left, double milliseconds);
}
