using OrleansGate.Model;

namespace OrleansGate.Grains;

/// <summary>
/// The cluster's one policy (key <see cref="Key"/>): versioned and persisted. Silos and edges keep a
/// compiled copy and are told of each new version, so statements are decided without calling this grain.
/// </summary>
[Alias("OrleansGate.IPolicyGrain")]
public interface IPolicyGrain : IGrainWithStringKey
{
    public const string Key = "current";

    /// <summary>
    /// Validates <paramref name="yaml"/> and, when it differs from the current policy, stores it as the next
    /// version and pushes it to every subscriber before returning. Invalid text changes nothing.
    /// </summary>
    [Alias("Apply")]
    Task<PolicyApplyResult> Apply(string yaml, string source);

    /// <summary>The current policy, or null when none was ever applied.</summary>
    [Alias("GetCurrent")]
    Task<PolicySnapshot?> GetCurrent();

    /// <summary>Registers (or renews) a subscriber for new versions; returns the current version (0 = none).</summary>
    [Alias("Subscribe")]
    Task<long> Subscribe(IPolicyObserver observer);

    /// <summary>
    /// <see cref="Subscribe"/> for a silo's policy cache, which names its silo (<c>SiloAddress.ToParsableString()</c>)
    /// and the version it holds, so <c>policy apply</c> can tell which silos have a new version.
    /// </summary>
    [Alias("SubscribeSilo")]
    Task<long> SubscribeSilo(IPolicyObserver observer, string silo, long installedVersion);

    /// <summary>The version each silo last reported holding (pushes it took, or its periodic checks); silos silent for three refresh intervals are left out.</summary>
    [Alias("GetSiloVersions")]
    Task<IReadOnlyList<SiloPolicyVersion>> GetSiloVersions();
}
