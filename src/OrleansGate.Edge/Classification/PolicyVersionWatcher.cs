using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrleansGate.Grains;
using OrleansGate.Model;

namespace OrleansGate.Edge.Classification;

/// <summary>
/// The newest cluster policy version this edge knows of, without a call per statement: pushed by the
/// policy grain (this object is its observer), confirmed by a periodic subscription renewal, and raised by
/// every decision that comes back. Sessions compare it with the version that decided a prepared statement
/// to know when an <c>Execute</c> must be decided again.
/// </summary>
public sealed partial class PolicyVersionWatcher(IGrainFactory grains, TimeProvider time, ILogger<PolicyVersionWatcher> logger)
    : BackgroundService, IPolicyObserver
{
    /// <summary>Fallback for a lost push; the push itself makes a change visible before <c>policy apply</c> returns.</summary>
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(10);

    private long _version;
    private IPolicyObserver? _reference;

    /// <summary>The newest policy version known here; 0 before any is known.</summary>
    public long Version => Interlocked.Read(ref _version);

    /// <summary>Raises the known version (never lowers it: versions only count up).</summary>
    public void Observe(long version)
    {
        var known = Interlocked.Read(ref _version);
        while (version > known)
        {
            var seen = Interlocked.CompareExchange(ref _version, version, known);
            if (seen == known)
            {
                return;
            }

            known = seen;
        }
    }

    public Task PolicyChanged(PolicySnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        Observe(snapshot.Version);
        return Task.CompletedTask;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(RefreshInterval, time);
        do
        {
            try
            {
                _reference ??= grains.CreateObjectReference<IPolicyObserver>(this);
                Observe(await grains.GetGrain<IPolicyGrain>(IPolicyGrain.Key).Subscribe(_reference).ConfigureAwait(false));
            }
            catch (Exception e) when (e is not OutOfMemoryException and not OperationCanceledException)
            {
                LogSubscribeFailed(logger, e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not subscribe to policy changes (retrying): {Error}")]
    private static partial void LogSubscribeFailed(ILogger logger, string error);
}
