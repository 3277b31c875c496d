using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrleansGate.Edge.Targets;
using OrleansGate.Grains;
using OrleansGate.Model;
using OrleansGate.Policy.Loading;

using OrleansGate.Edge.Decisions;

namespace OrleansGate.Edge.Classification;

/// <summary>
/// The newest cluster policy version this edge knows of, without a call per statement: pushed by the
/// policy grain (this object is its observer), confirmed by a periodic subscription renewal, and raised by
/// every decision that comes back. Sessions compare it with the version that decided a prepared statement
/// to know when an <c>Execute</c> must be decided again. It also publishes each new version's <c>targets:</c> to the
/// <see cref="TargetCatalog"/>, so a target defined in the policy can be logged in to on every edge without a restart.
/// </summary>
public sealed partial class PolicyVersionWatcher(
    IGrainFactory grains, TargetCatalog targets, EdgePolicy policy, TimeProvider time, ILogger<PolicyVersionWatcher> logger)
    : BackgroundService, IPolicyObserver
{
    /// <summary>Fallback for a lost push; the push itself makes a change visible before <c>policy apply</c> returns.</summary>
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(10);

    private long _version;
    private long _unreadableVersion; // the newest version whose targets could not be read: logged once, not fetched again
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
        policy.Install(snapshot);
        Observe(snapshot.Version);
        PublishTargets(snapshot);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Publishes the targets of <paramref name="snapshot"/> unless they are in place already. Never throws: a snapshot
    /// that cannot be read keeps the previous targets (the policy cache refuses its rules likewise) and is logged once.
    /// </summary>
    private void PublishTargets(PolicySnapshot snapshot)
    {
        if (snapshot.Version <= targets.PolicyVersion || snapshot.Version == Interlocked.Read(ref _unreadableVersion))
        {
            return;
        }

        try
        {
            var policy = PolicyLoader.Load(snapshot.Yaml, snapshot.Source);
            if (targets.PublishPolicyTargets(snapshot.Version, policy.Targets))
            {
                LogTargetsPublished(logger, snapshot.Version, policy.Targets.Count, string.Join(", ", policy.Targets.Keys.Order(StringComparer.Ordinal)));
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The message names file, line and problem, never a value: the loader quotes no credential.
            if (Interlocked.Exchange(ref _unreadableVersion, snapshot.Version) != snapshot.Version)
            {
                LogTargetsUnreadable(logger, snapshot.Version, targets.PolicyVersion, e.Message);
            }
        }
    }

    /// <summary>
    /// Fetches the current snapshot when the cluster has a version this edge does not decide with, or whose targets are
    /// not in place here (a lost push, or a start); confirms the version in force otherwise.
    /// </summary>
    private async Task CatchUpAsync(long version)
    {
        policy.Confirmed(version);
        var targetsBehind = version > targets.PolicyVersion && version != Interlocked.Read(ref _unreadableVersion);
        if (version == 0 || (policy.Version == version && !targetsBehind))
        {
            return;
        }

        if (await grains.GetGrain<IPolicyGrain>(IPolicyGrain.Key).GetCurrent().ConfigureAwait(false) is { } snapshot)
        {
            policy.Install(snapshot);
            PublishTargets(snapshot);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(RefreshInterval, time);
        do
        {
            try
            {
                _reference ??= grains.CreateObjectReference<IPolicyObserver>(this);
                var version = await grains.GetGrain<IPolicyGrain>(IPolicyGrain.Key).Subscribe(_reference).ConfigureAwait(false);
                Observe(version);
                await CatchUpAsync(version).ConfigureAwait(false);
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Policy version {Version} targets in use on this edge ({Count}): {Names}")]
    private static partial void LogTargetsPublished(ILogger logger, long version, int count, string names);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The targets of policy version {Version} cannot be read; keeping those of version {Kept}: {Error}")]
    private static partial void LogTargetsUnreadable(ILogger logger, long version, long kept, string error);
}
