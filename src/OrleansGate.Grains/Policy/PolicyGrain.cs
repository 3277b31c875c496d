using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansGate.Audit;
using OrleansGate.Grains.Audit;
using OrleansGate.Model;
using OrleansGate.Policy.Loading;

namespace OrleansGate.Grains.Policy;

/// <summary>
/// Owns the cluster's policy. A new version is validated here (nothing is stored when the text is invalid),
/// persisted, then pushed to every subscribed silo cache and edge before <see cref="Apply"/> returns, so a
/// session's next statement is decided by it wherever the session lives.
/// </summary>
/// <remarks>
/// Every applied version is audited first, in the <see cref="AuditChainIds.Policy"/> chain: a version whose
/// record cannot be made durable is not applied (fail closed, <see cref="PolicyApplyOutcome.Unavailable"/>).
/// </remarks>
public sealed partial class PolicyGrain(
    [PersistentState("policy", GrainStorage.Name)] IPersistentState<PolicyState> state,
    IAuditSink audit,
    IOptions<PolicyOptions> options,
    TimeProvider time,
    ILogger<PolicyGrain> logger) : Grain, IPolicyGrain
{
    public const int MaxPolicyLength = 1_000_000;

    /// <summary>Subscribers renew every refresh interval; one silent for three intervals is forgotten.</summary>
    private readonly Dictionary<IPolicyObserver, DateTimeOffset> _subscribers = [];

    // Which silo a subscriber is (silo caches name themselves), and the version each silo last reported holding.
    private readonly Dictionary<IPolicyObserver, string> _subscriberSilos = [];
    private readonly Dictionary<string, SiloPolicyVersion> _siloVersions = new(StringComparer.Ordinal);

    // Resumed: the chain outlives this activation, so its head is read from the store on the first append.
    private readonly AuditChain _audit = AuditChain.Resume(audit, AuditChainIds.Policy);

    public async Task<PolicyApplyResult> Apply(string yaml, string source)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        source = string.IsNullOrWhiteSpace(source) ? "policy" : source;
        var current = state.State.Current;
        if (yaml.Length > MaxPolicyLength)
        {
            // Every silo and edge holds and compiles it: a bound keeps a mistaken file from hurting them all.
            return new PolicyApplyResult(PolicyApplyOutcome.Invalid, current?.Version ?? 0, current?.Label ?? "",
                $"{source}: the policy is {yaml.Length} characters; the limit is {MaxPolicyLength}", 0, 0);
        }

        string label;
        try
        {
            label = PolicyLoader.Load(yaml, source).Version;
        }
        catch (PolicyLoadException e)
        {
            LogInvalid(logger, e.Message);
            return new PolicyApplyResult(PolicyApplyOutcome.Invalid, current?.Version ?? 0, current?.Label ?? "", e.Message, 0, 0);
        }

        var sha = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(yaml)));
        if (current is not null && current.Sha256 == sha)
        {
            return new PolicyApplyResult(PolicyApplyOutcome.Unchanged, current.Version, current.Label, null, 0, 0);
        }

        var next = new PolicySnapshot((current?.Version ?? 0) + 1, label, yaml, source, sha, time.GetUtcNow());
        var previous = current?.Version ?? 0;
        try
        {
            // Recorded before it takes effect, as a state-changing statement is: no version is ever in force unaudited.
            await AppendAuditAsync(AuditRecords.PolicyChange(next.AppliedAt, next, previous, "applied"));
        }
        catch (AuditUnavailableException e)
        {
            LogNotAudited(logger, next.Version, e.Message);
            return new PolicyApplyResult(PolicyApplyOutcome.Unavailable, previous, current?.Label ?? "",
                $"{source}: not applied, the policy change could not be audited ({e.Message}); version {previous} stays in force, retry when the audit store is back", 0, 0);
        }

        state.State.Current = next;
        try
        {
            await state.WriteStateAsync();
        }
        catch (Exception e) when (e is not OutOfMemoryException and not AuditUnavailableException)
        {
            state.State.Current = current;
            LogNotStored(logger, next.Version, e.Message);
            await RecordNotStoredAsync(next, previous);
            return new PolicyApplyResult(PolicyApplyOutcome.Unavailable, previous, current?.Label ?? "",
                $"{source}: not applied, the policy could not be stored ({e.Message}); version {previous} stays in force", 0, 0);
        }

        LogApplied(logger, next.Version, label, source);
        var (notified, failed) = await NotifyAsync(next);
        return new PolicyApplyResult(PolicyApplyOutcome.Applied, next.Version, label, null, notified, failed);
    }

    public Task<PolicySnapshot?> GetCurrent() => Task.FromResult(state.State.Current);

    public Task<long> Subscribe(IPolicyObserver observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        var now = time.GetUtcNow();
        _subscribers[observer] = now;
        var expiry = options.Value.RefreshInterval * 3;
        foreach (var (subscriber, seen) in _subscribers.ToList())
        {
            if (now - seen > expiry)
            {
                _subscribers.Remove(subscriber);
                _subscriberSilos.Remove(subscriber);
            }
        }

        foreach (var (silo, reported) in _siloVersions.ToList())
        {
            if (now - reported.At > expiry)
            {
                _siloVersions.Remove(silo);
            }
        }

        return Task.FromResult(state.State.Current?.Version ?? 0);
    }

    public Task<long> SubscribeSilo(IPolicyObserver observer, string silo, long installedVersion)
    {
        ArgumentException.ThrowIfNullOrEmpty(silo);
        var current = Subscribe(observer);
        _subscriberSilos[observer] = silo;
        _siloVersions[silo] = new SiloPolicyVersion(silo, installedVersion, time.GetUtcNow());
        return current;
    }

    public Task<IReadOnlyList<SiloPolicyVersion>> GetSiloVersions() =>
        Task.FromResult<IReadOnlyList<SiloPolicyVersion>>([.. _siloVersions.Values]);

    /// <summary>
    /// One retry: after a failure the chain reads its durable head back, so a head made stale by another writer of
    /// this chain (a duplicate activation during a membership change, or another cluster of the same service sharing
    /// the audit store) succeeds at once; a store that is down fails twice, quickly.
    /// </summary>
    private async Task AppendAuditAsync(AuditRecord record)
    {
        try
        {
            await _audit.AppendAsync(record);
        }
        catch (AuditUnavailableException)
        {
            await _audit.AppendAsync(record);
        }
    }

    /// <summary>The chain already says "applied" for this version; say it was not (best effort: the log says so too).</summary>
    private async Task RecordNotStoredAsync(PolicySnapshot next, long previous)
    {
        try
        {
            await AppendAuditAsync(AuditRecords.PolicyChange(time.GetUtcNow(), next, previous, "not-stored"));
        }
        catch (AuditUnavailableException e)
        {
            LogNotAudited(logger, next.Version, e.Message);
        }
    }

    private async Task<(int Notified, int Failed)> NotifyAsync(PolicySnapshot snapshot)
    {
        var subscribers = _subscribers.Keys.ToList();
        var timeout = options.Value.NotifyTimeout;
        var results = await Task.WhenAll(subscribers.Select(async s =>
        {
            try
            {
                await s.PolicyChanged(snapshot).WaitAsync(timeout, time);
                if (_subscriberSilos.TryGetValue(s, out var silo))
                {
                    _siloVersions[silo] = new SiloPolicyVersion(silo, snapshot.Version, time.GetUtcNow());
                }

                return true;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A subscriber that cannot take the push (its process is gone, or slow) is dropped; a live one
                // finds the new version with its next periodic check and subscribes again.
                LogNotifyFailed(logger, snapshot.Version, e.Message);
                _subscribers.Remove(s);
                _subscriberSilos.Remove(s);
                return false;
            }
        }));
        var notified = results.Count(r => r);
        return (notified, results.Length - notified);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Policy version {Version} ({Label}) applied from {Source}")]
    private static partial void LogApplied(ILogger logger, long version, string label, string source);

    [LoggerMessage(Level = LogLevel.Error, Message = "Policy version {Version} not applied: its audit record could not be written ({Error}); the previous version stays in force")]
    private static partial void LogNotAudited(ILogger logger, long version, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Policy version {Version} not applied: it could not be stored ({Error}); the previous version stays in force")]
    private static partial void LogNotStored(ILogger logger, long version, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Policy refused, nothing changed: {Error}")]
    private static partial void LogInvalid(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Policy version {Version}: a subscriber did not take the push ({Error}); it catches up at its next check")]
    private static partial void LogNotifyFailed(ILogger logger, long version, string error);
}
