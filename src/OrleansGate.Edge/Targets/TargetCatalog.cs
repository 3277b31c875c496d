using System.Collections.Frozen;
using Microsoft.Extensions.Options;
using OrleansGate.Policy.Model;

namespace OrleansGate.Edge.Targets;

/// <summary>
/// Resolves target names to upstream endpoints and credentials. Two sources: the targets of the cluster policy
/// (<c>targets:</c> in the policy file, published by <see cref="Classification.PolicyVersionWatcher"/> as new
/// versions arrive) and the gateway configuration (<c>OrleansGate:Targets</c>). A name the policy defines is
/// resolved from the policy, whatever the configuration says. Credentials are references either way, read only
/// when a connection is dialled (<see cref="ResolvedTarget.ReadPassword"/>).
/// </summary>
public sealed class TargetCatalog(IOptionsMonitor<Dictionary<string, TargetOptions>> targets)
{
    private readonly Lock _publishing = new();
    private volatile PolicyTargetSet _policy = PolicyTargetSet.None;

    /// <summary>The policy version whose targets are in use here (0: none published yet).</summary>
    public long PolicyVersion => _policy.Version;

    /// <summary>The names the current policy defines, for logs and tests.</summary>
    public IReadOnlyCollection<string> PolicyTargetNames => _policy.Targets.Keys;

    public bool TryGet(string name, out ResolvedTarget target)
    {
        // Names are compared exactly: "Demo" and "demo" are different targets, as databases are.
        if (string.IsNullOrEmpty(name))
        {
            target = null!;
            return false;
        }

        if (_policy.Targets.TryGetValue(name, out var fromPolicy))
        {
            target = fromPolicy;
            return true;
        }

        if (targets.CurrentValue.TryGetValue(name, out var options))
        {
            target = new ResolvedTarget(name, options);
            return true;
        }

        target = null!;
        return false;
    }

    /// <summary>
    /// Replaces the policy's targets with those of <paramref name="version"/>, unless a newer version is already in
    /// place (a push and a periodic check can race). Returns whether it replaced them. Sessions already open keep
    /// their upstream connection; the new set applies to the next login.
    /// </summary>
    public bool PublishPolicyTargets(long version, IReadOnlyDictionary<string, PolicyTarget> policyTargets)
    {
        ArgumentNullException.ThrowIfNull(policyTargets);
        var next = new PolicyTargetSet(
            version,
            policyTargets.ToFrozenDictionary(t => t.Key, t => new ResolvedTarget(t.Key, ToOptions(t.Value)), StringComparer.Ordinal));
        lock (_publishing)
        {
            if (_policy.Version >= version)
            {
                return false;
            }

            _policy = next;
            return true;
        }
    }

    private static TargetOptions ToOptions(PolicyTarget target) => new()
    {
        Host = target.Host,
        Port = target.Port,
        Database = target.Database,
        Username = target.Username,
        PasswordEnvironmentVariable = target.PasswordEnvironmentVariable,
        PasswordFile = target.PasswordFile,
    };

    private sealed record PolicyTargetSet(long Version, FrozenDictionary<string, ResolvedTarget> Targets)
    {
        public static readonly PolicyTargetSet None = new(0, FrozenDictionary<string, ResolvedTarget>.Empty);
    }
}
