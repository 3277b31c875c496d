namespace OrleansGate.Policy.Model;

/// <summary>
/// A rule's <c>kubernetes:</c> match. Empty lists mean any. Either for resource requests (verbs, resources,
/// subresources, namespaces, names, and for exec commands) or, with <see cref="NonResourcePaths"/>, for non-resource requests only
/// (<c>/version</c>, <c>/healthz</c>, discovery); the loader refuses a mix. How each key is read for allow and for
/// deny or approve rules is in docs/policy.md ("Kubernetes and HTTP targets and rules").
/// </summary>
public sealed record KubernetesMatch
{
    /// <summary>Kubernetes verbs (get, list, watch, create, update, patch, delete, deletecollection) or <c>*</c>; for non-resource requests lower-case HTTP methods.</summary>
    public IReadOnlyList<string> Verbs { get; init; } = [];

    public IReadOnlyList<KubernetesResourcePattern> Resources { get; init; } = [];

    /// <summary>Subresource globs: the rule then matches only requests for these subresources of <see cref="Resources"/>.</summary>
    public IReadOnlyList<string> Subresources { get; init; } = [];

    /// <summary>Namespace globs.</summary>
    public IReadOnlyList<string> Namespaces { get; init; } = [];

    /// <summary>Object name globs.</summary>
    public IReadOnlyList<string> Names { get; init; } = [];

    /// <summary>
    /// Globs of the program an exec runs (its first <c>command=</c> parameter, or that one's basename); when given, the
    /// match is for exec requests only. How shells and other wrappers are read is in <see cref="Evaluation.ExecCommands"/>.
    /// </summary>
    public IReadOnlyList<string> Commands { get; init; } = [];

    /// <summary>Path globs of non-resource requests; when given, the match is for non-resource requests only.</summary>
    public IReadOnlyList<string> NonResourcePaths { get; init; } = [];

    public bool IsNonResource => NonResourcePaths.Count > 0;
}
