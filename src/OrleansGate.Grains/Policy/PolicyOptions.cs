namespace OrleansGate.Grains.Policy;

/// <summary>Configuration section <c>OrleansGate:Policy</c>.</summary>
public sealed class PolicyOptions
{
    /// <summary>A policy YAML file applied when the node starts (when it differs from the cluster's current policy).</summary>
    public string? File { get; set; }

    /// <summary>Re-apply <see cref="File"/> whenever it changes on disk (an invalid edit is logged and changes nothing).</summary>
    public bool Watch { get; set; }

    /// <summary>How often a silo renews its subscription and confirms its cached version (the fallback for a lost push).</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// A cached policy not confirmed against the policy grain for this long is not trusted: statements are
    /// refused (fail closed) until it can be confirmed again.
    /// </summary>
    public TimeSpan MaxStaleness { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// When <see cref="File"/> cannot be applied, at start or after a watched edit (its audit record cannot be written), the node retries with
    /// a doubling delay from 1 s up to this.
    /// </summary>
    public TimeSpan StartRetryMax { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long <c>Apply</c> waits for each subscriber to take a new version.</summary>
    public TimeSpan NotifyTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
