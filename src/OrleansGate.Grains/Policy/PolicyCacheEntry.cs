using OrleansGate.Policy.Model;

namespace OrleansGate.Grains.Policy;

/// <summary>A compiled policy with the cluster version number it was stored under.</summary>
public sealed record PolicyCacheEntry(long Version, CompiledPolicy Policy);
