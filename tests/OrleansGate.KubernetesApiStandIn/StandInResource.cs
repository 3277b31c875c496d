namespace OrleansGate.KubernetesApiStandIn;

/// <summary>One API resource the stand-in serves: what discovery lists and what the store keys objects by.</summary>
/// <param name="Group">API group; empty for the core group (<c>/api/v1</c>).</param>
/// <param name="Categories">Discovery categories: <c>all</c> makes <c>kubectl get all</c> include the resource.</param>
public sealed record StandInResource(
    string Group,
    string Version,
    string Plural,
    string Singular,
    string Kind,
    bool Namespaced,
    IReadOnlyList<string> ShortNames,
    IReadOnlyList<StandInSubresource> Subresources,
    IReadOnlyList<string>? Categories = null)
{
    /// <summary><c>v1</c> or <c>apps/v1</c>: the object's <c>apiVersion</c> field.</summary>
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    public string ListKind => Kind + "List";

    /// <summary>The verbs every resource answers, as discovery lists them.</summary>
    public static IReadOnlyList<string> CrudVerbs { get; } =
        ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

    /// <summary>The name kubectl's errors use: <c>pods</c>, <c>deployments.apps</c>.</summary>
    public string QualifiedName => Group.Length == 0 ? Plural : $"{Plural}.{Group}";

    public StandInSubresource? FindSubresource(string name) =>
        Subresources.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.Ordinal));
}
