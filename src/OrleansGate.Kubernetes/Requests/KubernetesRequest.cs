namespace OrleansGate.Kubernetes.Requests;

/// <summary>
/// The attributes the Kubernetes API server gives a request (its <c>RequestInfo</c>), as policy reads them.
/// A non-resource request (<c>/version</c>, <c>/healthz</c>, discovery such as <c>/apis/apps/v1</c>) has only
/// <see cref="Verb"/> (the lowercased HTTP method) and <see cref="Path"/>; every other member is empty.
/// </summary>
public sealed record KubernetesRequest
{
    /// <summary>True for <c>/api/{version}/...</c> and <c>/apis/{group}/{version}/...</c> with a resource.</summary>
    public required bool IsResourceRequest { get; init; }

    /// <summary>
    /// For a resource request the Kubernetes verb (get, list, watch, create, update, patch, delete,
    /// deletecollection); for a non-resource request the lowercased HTTP method.
    /// </summary>
    public required string Verb { get; init; }

    /// <summary>
    /// The path, percent-decoded once, without the query; a trailing slash is kept, as the API server keeps it.
    /// Only accepted when every decoded character may stand unencoded in a path, so it parses to these same attributes.
    /// </summary>
    public required string Path { get; init; }

    /// <summary>
    /// The path as received, still percent-encoded and without the query: what is forwarded, so that an escaped
    /// character (<c>%3B</c>) reaches the target escaped, not as the delimiter it decodes to.
    /// </summary>
    public string RawPath { get; init; } = "";

    /// <summary>"api" (the core group) or "apis".</summary>
    public string ApiPrefix { get; init; } = "";

    /// <summary>"" for the core group.</summary>
    public string ApiGroup { get; init; } = "";

    public string ApiVersion { get; init; } = "";

    /// <summary>"" for cluster-scoped requests; for the namespace resource itself, the namespace's own name.</summary>
    public string Namespace { get; init; } = "";

    /// <summary>The plural resource, e.g. "pods"; not the kind.</summary>
    public string Resource { get; init; } = "";

    public string Subresource { get; init; } = "";

    /// <summary>From the path, or for list and watch from a <c>fieldSelector=metadata.name=X</c>, as the API server does.</summary>
    public string Name { get; init; } = "";
}
