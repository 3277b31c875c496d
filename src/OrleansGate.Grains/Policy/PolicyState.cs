using OrleansGate.Model;

namespace OrleansGate.Grains.Policy;

/// <summary>What survives the policy grain's deactivation and any silo's death: the current version.</summary>
[GenerateSerializer]
public sealed class PolicyState
{
    /// <summary>Null until a policy is applied; versions count up from 1.</summary>
    [Id(0)] public PolicySnapshot? Current { get; set; }
}
