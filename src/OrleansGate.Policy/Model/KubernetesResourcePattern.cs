namespace OrleansGate.Policy.Model;

/// <summary>
/// One entry of a <c>kubernetes:</c> match's <c>resources</c>: a name as <c>[group/]resource[/subresource]</c> (the core
/// group has no group segment: <c>pods/exec</c>, <c>apps/deployments/scale</c>), split into its segments, each a glob
/// that stays within its segment. <see cref="IsAny"/> for the pattern <c>*</c> alone, which stands for any resource of
/// any group, as leaving <c>resources</c> out does.
/// </summary>
public sealed record KubernetesResourcePattern(string Text, IReadOnlyList<string> Segments)
{
    public bool IsAny => Text == "*";
}
