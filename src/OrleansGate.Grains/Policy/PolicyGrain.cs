using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansGate.Model;
using OrleansGate.Policy.Loading;

namespace OrleansGate.Grains.Policy;

/// <summary>
/// Owns the cluster's policy. A new version is validated here (nothing is stored when the text is invalid),
/// persisted, then pushed to every subscribed silo cache and edge before <see cref="Apply"/> returns, so a
/// session's next statement is decided by it wherever the session lives.
/// </summary>
public sealed partial class PolicyGrain(
    [PersistentState("policy", GrainStorage.Name)] IPersistentState<PolicyState> state,
    IOptions<PolicyOptions> options,
    TimeProvider time,
    ILogger<PolicyGrain> logger) : Grain, IPolicyGrain
{
    public const int MaxPolicyLength = 1_000_000;

    /// <summary>Subscribers renew every refresh interval; one silent for three intervals is forgotten.</summary>
    private readonly Dictionary<IPolicyObserver, DateTimeOffset> _subscribers = [];

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
        state.State.Current = next;
        await state.WriteStateAsync();
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
            }
        }

        return Task.FromResult(state.State.Current?.Version ?? 0);
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
                return true;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A subscriber that cannot take the push (its process is gone, or slow) is dropped; a live one
                // finds the new version with its next periodic check and subscribes again.
                LogNotifyFailed(logger, snapshot.Version, e.Message);
                _subscribers.Remove(s);
                return false;
            }
        }));
        var notified = results.Count(r => r);
        return (notified, results.Length - notified);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Policy version {Version} ({Label}) applied from {Source}")]
    private static partial void LogApplied(ILogger logger, long version, string label, string source);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Policy refused, nothing changed: {Error}")]
    private static partial void LogInvalid(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Policy version {Version}: a subscriber did not take the push ({Error}); it catches up at its next check")]
    private static partial void LogNotifyFailed(ILogger logger, long version, string error);
}
