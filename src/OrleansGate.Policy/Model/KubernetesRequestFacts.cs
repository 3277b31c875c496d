namespace OrleansGate.Policy.Model;

/// <summary>
/// What policy reads of one Kubernetes API request: the attributes the API server's <c>RequestInfo</c> gives it. The
/// gateway fills it from its parsed request (<c>OrleansGate.Kubernetes.Requests.KubernetesRequest</c>, member for
/// member; this project does not reference that one). A request the gateway cannot parse never gets here: the gateway
/// refuses it first.
/// </summary>
public sealed record KubernetesRequestFacts
{
    /// <summary>True for <c>/api/{version}/...</c> and <c>/apis/{group}/{version}/...</c> with a resource.</summary>
    public required bool IsResourceRequest { get; init; }

    /// <summary>The Kubernetes verb (get, list, watch, create, update, patch, delete, deletecollection); for a non-resource request the lower-case HTTP method.</summary>
    public required string Verb { get; init; }

    /// <summary>The path without the query, as the API server reads it; what <c>non_resource_paths</c> match.</summary>
    public required string Path { get; init; }

    /// <summary>"" for the core group.</summary>
    public string ApiGroup { get; init; } = "";

    /// <summary>"" for cluster-scoped requests and for lists and watches across all namespaces.</summary>
    public string Namespace { get; init; } = "";

    /// <summary>The plural resource, e.g. <c>pods</c>.</summary>
    public string Resource { get; init; } = "";

    public string Subresource { get; init; } = "";

    /// <summary>The object's name; "" for create, list, watch and deletecollection unless a field selector names one.</summary>
    public string Name { get; init; } = "";

    /// <summary>
    /// For exec, the argv its <c>command=</c> query parameters give (in order, decoded as the API server decodes them,
    /// no shell); empty for every other request, and for an exec without a command.
    /// </summary>
    public IReadOnlyList<string> Command { get; init; } = [];
}
