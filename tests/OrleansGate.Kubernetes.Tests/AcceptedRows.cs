namespace OrleansGate.Kubernetes.Tests;

/// <summary>Table rows: <c>{ method, target, expected }</c>; an expected path left empty is the target without its query.</summary>
public sealed class AcceptedRows : TheoryData<AcceptedRow>
{
    public void Add(string method, string target, KubernetesRequest expected)
    {
        var query = target.IndexOf('?', StringComparison.Ordinal);
        var path = expected.Path.Length > 0 ? expected.Path : query < 0 ? target : target[..query];
        Add(new AcceptedRow(method, target, expected with { Path = path }));
    }

    /// <summary>A core-group ("/api/v1") resource request.</summary>
    public static KubernetesRequest Core(string verb, string resource, string ns = "", string name = "", string sub = "", string path = "") =>
        Group(verb, "v1", resource, ns, name, sub, path) with { ApiPrefix = "api" };

    /// <summary>A named-group resource request; <paramref name="groupVersion"/> is "group/version", or "v1" for the core group.</summary>
    public static KubernetesRequest Group(string verb, string groupVersion, string resource, string ns = "", string name = "", string sub = "", string path = "")
    {
        var slash = groupVersion.IndexOf('/', StringComparison.Ordinal);
        return new KubernetesRequest
        {
            IsResourceRequest = true,
            Verb = verb,
            Path = path,
            ApiPrefix = "apis",
            ApiGroup = slash < 0 ? "" : groupVersion[..slash],
            ApiVersion = groupVersion[(slash + 1)..],
            Namespace = ns,
            Resource = resource,
            Subresource = sub,
            Name = name,
        };
    }

    public static KubernetesRequest NonResource(string verb, string path = "") =>
        new() { IsResourceRequest = false, Verb = verb, Path = path };
}
