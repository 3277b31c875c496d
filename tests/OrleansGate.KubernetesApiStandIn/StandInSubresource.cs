namespace OrleansGate.KubernetesApiStandIn;

/// <summary>A subresource such as <c>pods/exec</c>; <paramref name="Group"/> and <paramref name="Version"/> are
/// set only when its kind lives in another group (<c>deployments/scale</c> is an <c>autoscaling/v1 Scale</c>).</summary>
public sealed record StandInSubresource(
    string Name,
    string Kind,
    IReadOnlyList<string> Verbs,
    string? Group = null,
    string? Version = null);
