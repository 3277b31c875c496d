using Microsoft.Extensions.Options;

namespace OrleansGate.Edge.Targets;

/// <summary>Resolves target names to upstream endpoints and credentials.</summary>
public sealed class TargetCatalog(IOptionsMonitor<Dictionary<string, TargetOptions>> targets)
{
    public bool TryGet(string name, out ResolvedTarget target)
    {
        // Names are compared exactly: "Demo" and "demo" are different targets, as databases are.
        if (!string.IsNullOrEmpty(name) && targets.CurrentValue.TryGetValue(name, out var options))
        {
            target = new ResolvedTarget(name, options);
            return true;
        }

        target = null!;
        return false;
    }
}
