using OrleansGate.Model;

namespace OrleansGate.Grains;

/// <summary>A silo's policy cache or an edge's version watcher: told of each new policy version.</summary>
[Alias("OrleansGate.IPolicyObserver")]
public interface IPolicyObserver : IGrainObserver
{
    [Alias("PolicyChanged")]
    Task PolicyChanged(PolicySnapshot snapshot);
}
