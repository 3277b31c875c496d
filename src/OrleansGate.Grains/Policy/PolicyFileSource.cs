using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansGate.Model;

namespace OrleansGate.Grains.Policy;

/// <summary>
/// Applies <c>OrleansGate:Policy:File</c> to the cluster when the node starts (a no-op when the cluster
/// already has the same text) and, with <c>Watch</c>, again whenever the file changes.
/// </summary>
/// <remarks>
/// An invalid file at start stops the node with the file, line and problem: a node must not come up
/// silently deciding with some other policy than the one its operator configured. An invalid edit while
/// running is logged the same way and the previous version stays in force. A file that cannot be applied
/// because its audit record cannot be written (audit store down) does not stop the node: it is applied again
/// with backoff until it is, and until then the cluster keeps its previous version (none: every statement refused).
/// </remarks>
public sealed partial class PolicyFileSource(
    IGrainFactory grains,
    IOptions<PolicyOptions> options,
    TimeProvider time,
    ILogger<PolicyFileSource> logger) : IHostedService, IDisposable
{
    /// <summary>Editors write a file in several steps; apply once the events have been quiet this long.</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(300);

    /// <summary>Backoff bounds while the audit store keeps a file from being applied.</summary>
    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(1);

    private readonly SemaphoreSlim _applying = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private FileSystemWatcher? _watcher;
    private ITimer? _settleTimer;
    private int _retrying;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var file = options.Value.File;
        if (string.IsNullOrWhiteSpace(file))
        {
            LogNoFile(logger);
            return;
        }

        var path = Path.GetFullPath(file);
        var result = await ApplyFileAsync(path).ConfigureAwait(false);
        if (result.Outcome == PolicyApplyOutcome.Invalid)
        {
            throw new InvalidOperationException($"OrleansGate:Policy:File is not a valid policy: {result.Error}");
        }

        if (result.Outcome == PolicyApplyOutcome.Unavailable)
        {
            StartRetrying(path);
        }

        if (options.Value.Watch)
        {
            _settleTimer = time.CreateTimer(_ => _ = ReapplyAsync(path), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _watcher = new FileSystemWatcher(Path.GetDirectoryName(path)!, Path.GetFileName(path))
            {
                NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size | NotifyFilters.CreationTime,
            };
            _watcher.Changed += (_, _) => Touched();
            _watcher.Created += (_, _) => Touched();
            _watcher.Renamed += (_, _) => Touched();
            _watcher.EnableRaisingEvents = true;
            LogWatching(logger, path);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        if (_watcher is not null)
        {
            _watcher.EnableRaisingEvents = false;
        }

        _settleTimer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _stopping.Cancel();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _watcher?.Dispose();
        _settleTimer?.Dispose();
        _applying.Dispose();
        _stopping.Dispose();
    }

    /// <summary>Starts the retry loop unless one is running already.</summary>
    private void StartRetrying(string path)
    {
        if (Interlocked.CompareExchange(ref _retrying, 1, 0) == 0)
        {
            _ = RetryUntilAppliedAsync(path, _stopping.Token);
        }
    }

    private async Task RetryUntilAppliedAsync(string path, CancellationToken stopping)
    {
        try
        {
            await RetryLoopAsync(path, stopping).ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref _retrying, 0);
        }
    }

    private async Task RetryLoopAsync(string path, CancellationToken stopping)
    {
        var delay = FirstRetry;
        LogRetrying(logger, path, delay);
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(delay, time, stopping).ConfigureAwait(false);
                var result = await ApplyFileAsync(path).ConfigureAwait(false);
                if (result.Outcome != PolicyApplyOutcome.Unavailable)
                {
                    return;
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogApplyFailed(logger, path, e.Message);
            }

            var maxRetry = options.Value.StartRetryMax > TimeSpan.Zero ? options.Value.StartRetryMax : FirstRetry;
            delay = delay * 2 > maxRetry ? maxRetry : delay * 2;
        }
    }

    private void Touched() => _settleTimer?.Change(Settle, Timeout.InfiniteTimeSpan);

    private async Task ReapplyAsync(string path)
    {
        try
        {
            // An edit that cannot be audited now is retried like the file at start, so it is applied once the
            // audit store answers (each attempt reads the file again: the latest edit wins).
            if ((await ApplyFileAsync(path).ConfigureAwait(false)).Outcome == PolicyApplyOutcome.Unavailable)
            {
                StartRetrying(path);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The watch must outlive a cluster hiccup: the next edit (or a restart) tries again.
            LogApplyFailed(logger, path, e.Message);
        }
    }

    private async Task<PolicyApplyResult> ApplyFileAsync(string path)
    {
        await _applying.WaitAsync().ConfigureAwait(false);
        try
        {
            string text;
            try
            {
                text = await File.ReadAllTextAsync(path).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                var error = $"{path}: cannot read the file: {e.Message}";
                LogRefused(logger, error);
                return new PolicyApplyResult(PolicyApplyOutcome.Invalid, 0, "", error, 0, 0);
            }

            var result = await grains.GetGrain<IPolicyGrain>(IPolicyGrain.Key).Apply(text, path).ConfigureAwait(false);
            switch (result.Outcome)
            {
                case PolicyApplyOutcome.Applied:
                    LogApplied(logger, path, result.Version, result.Label, result.SubscribersNotified);
                    break;
                case PolicyApplyOutcome.Unchanged:
                    LogUnchanged(logger, path, result.Version, result.Label);
                    break;
                default:
                    LogRefused(logger, result.Error ?? "invalid policy");
                    break;
            }

            return result;
        }
        finally
        {
            _applying.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "No policy file configured (OrleansGate:Policy:File): statements are refused until a policy is applied with 'orleansgate policy apply FILE'")]
    private static partial void LogNoFile(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Watching {Path} for policy changes")]
    private static partial void LogWatching(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "Policy {Path} applied as version {Version} ({Label}); {Notified} subscribers updated")]
    private static partial void LogApplied(ILogger logger, string path, long version, string label, int notified);

    [LoggerMessage(Level = LogLevel.Information, Message = "Policy {Path} is already the cluster's version {Version} ({Label})")]
    private static partial void LogUnchanged(ILogger logger, string path, long version, string label);

    [LoggerMessage(Level = LogLevel.Error, Message = "Policy file refused, the previous version stays in force: {Error}")]
    private static partial void LogRefused(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Policy file {Path} could not be applied (audit store unavailable); the node runs with the cluster's previous version (none: every statement is refused) and retries, first in {Delay}, backing off to OrleansGate:Policy:StartRetryMax (30 s by default)")]
    private static partial void LogRetrying(ILogger logger, string path, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Error, Message = "Policy file {Path} could not be applied: {Error}")]
    private static partial void LogApplyFailed(ILogger logger, string path, string error);
}
