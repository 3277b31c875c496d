using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansGate.Model;
using OrleansGate.Policy.Loading;

namespace OrleansGate.Grains.Policy;

/// <summary>
/// This silo's compiled copy of the cluster policy, so a statement is decided without a call to the
/// policy grain (DESIGN §7). New versions arrive as a push (this object is an observer of the policy
/// grain); a periodic check renews the subscription and catches any push that was lost.
/// </summary>
/// <remarks>
/// Fails closed: no policy yet, or a copy that could not be confirmed for <see cref="PolicyOptions.MaxStaleness"/>,
/// gives no entry, and the caller refuses the statement.
/// </remarks>
public sealed partial class PolicyCache(
    IGrainFactory grains,
    ILocalSiloDetails silo,
    IOptions<PolicyOptions> options,
    TimeProvider time,
    ILogger<PolicyCache> logger) : BackgroundService, IPolicyObserver
{
    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private readonly Lock _installing = new();
    private volatile PolicyCacheEntry? _current;
    private long _confirmedAtTicks; // 0 = never: stale
    private IPolicyObserver? _reference;

    /// <summary>The version this silo decides with now (0: none); for health checks and tests.</summary>
    public long Version => _current?.Version ?? 0;

    /// <summary>The entry this silo holds now, without a refresh (null: none); for refusals made before the policy is consulted.</summary>
    public PolicyCacheEntry? Current => _current;

    /// <summary>Why the last lookup gave no entry, for the refusal message.</summary>
    public string UnavailableReason { get; private set; } = "no policy has been loaded";

    /// <summary>The current entry, refreshed first when missing or stale; null when none can be trusted.</summary>
    public ValueTask<PolicyCacheEntry?> GetAsync()
    {
        var entry = _current;
        if (entry is not null && !IsStale())
        {
            return ValueTask.FromResult<PolicyCacheEntry?>(entry);
        }

        return RefreshAndGetAsync();
    }

    public Task PolicyChanged(PolicySnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        Install(snapshot);
        Interlocked.Exchange(ref _confirmedAtTicks, time.GetUtcNow().UtcTicks);
        return Task.CompletedTask;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RefreshInterval, time);
        do
        {
            await CheckAsync().ConfigureAwait(false);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    private async ValueTask<PolicyCacheEntry?> RefreshAndGetAsync()
    {
        await CheckAsync().ConfigureAwait(false);
        var entry = _current;
        return entry is not null && !IsStale() ? entry : null;
    }

    /// <summary>Subscribes (renewing the subscription), and fetches the policy when the grain has a different version.</summary>
    private async Task CheckAsync()
    {
        await _refreshing.WaitAsync().ConfigureAwait(false);
        try
        {
            var policy = grains.GetGrain<IPolicyGrain>(IPolicyGrain.Key);
            _reference ??= grains.CreateObjectReference<IPolicyObserver>(this);
            var siloName = silo.SiloAddress.ToParsableString();
            var version = await policy.SubscribeSilo(_reference, siloName, Version).ConfigureAwait(false);
            if (version == 0)
            {
                // Versions only grow: a push that arrived since the grain answered is newer, so nothing is cleared.
                UnavailableReason = "no policy has been loaded: set OrleansGate:Policy:File or run 'orleansgate policy apply FILE'";
            }
            else if (_current?.Version != version && await policy.GetCurrent().ConfigureAwait(false) is { } snapshot)
            {
                Install(snapshot);

                // Caught up by this check rather than a push: say so now, not at the next check (policy apply waits on it).
                await policy.SubscribeSilo(_reference, siloName, Version).ConfigureAwait(false);
            }

            Interlocked.Exchange(ref _confirmedAtTicks, time.GetUtcNow().UtcTicks);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogCheckFailed(logger, e.Message);
            UnavailableReason = _current is null
                ? "the policy could not be fetched from the cluster"
                : $"the cached policy could not be confirmed against the cluster for more than {options.Value.MaxStaleness.TotalSeconds:0} s";
        }
        finally
        {
            _refreshing.Release();
        }
    }

    /// <summary>
    /// Installs <paramref name="snapshot"/> unless a newer version is already in place. A push and a periodic check
    /// can install at the same time (each compiles first, which takes a while): the check against the version in
    /// place is made again under a lock after compiling, so an older snapshot never replaces a newer one.
    /// </summary>
    private void Install(PolicySnapshot snapshot)
    {
        if (_current is { } current && current.Version >= snapshot.Version)
        {
            return;
        }

        PolicyCacheEntry? entry = null;
        PolicyLoadException? unreadable = null;
        try
        {
            entry = new PolicyCacheEntry(snapshot.Version, PolicyLoader.Load(snapshot.Yaml, snapshot.Source));
        }
        catch (PolicyLoadException e)
        {
            unreadable = e;
        }

        lock (_installing)
        {
            if (_current is { } installed && installed.Version >= snapshot.Version)
            {
                return;
            }

            if (entry is not null)
            {
                _current = entry;
                LogInstalled(logger, snapshot.Version, entry.Policy.Version);
                return;
            }

            // The grain validated it with the same loader; this only happens across gateway versions. Keep
            // deciding with nothing rather than with a policy this silo cannot read.
            _current = null;
            UnavailableReason = $"policy version {snapshot.Version} cannot be read by this node: {unreadable!.Message}";
            LogUnreadable(logger, snapshot.Version, unreadable.Message);
        }
    }

    private bool IsStale() =>
        time.GetUtcNow().UtcTicks - Interlocked.Read(ref _confirmedAtTicks) > options.Value.MaxStaleness.Ticks;

    public override void Dispose()
    {
        _refreshing.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Policy version {Version} ({Label}) now decides statements on this silo")]
    private static partial void LogInstalled(ILogger logger, long version, string label);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Policy check failed: {Error}")]
    private static partial void LogCheckFailed(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Policy version {Version} cannot be read by this node: {Error}")]
    private static partial void LogUnreadable(ILogger logger, long version, string error);
}
