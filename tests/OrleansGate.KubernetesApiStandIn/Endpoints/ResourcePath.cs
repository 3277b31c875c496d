namespace OrleansGate.KubernetesApiStandIn.Endpoints;

/// <summary>A request path that names a resource: its collection, one object, or one object's subresource.</summary>
/// <param name="Namespace">Null for cluster-scoped resources and for lists across all namespaces (<c>/api/v1/pods</c>).</param>
internal sealed record ResourcePath(StandInResource Resource, string? Namespace, string? Name, string? Subresource)
{
    /// <summary>
    /// Parses <c>/api/v1/…</c> and <c>/apis/{group}/{version}/…</c> resource paths; discovery paths and paths
    /// naming nothing the stand-in serves give false.
    /// </summary>
    public static bool TryParse(string path, out ResourcePath? parsed)
    {
        parsed = null;
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        string group;
        string version;
        int rest;
        if (segments.Length >= 3 && segments[0] == "api")
        {
            (group, version, rest) = ("", segments[1], 2);
        }
        else if (segments.Length >= 4 && segments[0] == "apis")
        {
            (group, version, rest) = (segments[1], segments[2], 3);
        }
        else
        {
            return false;
        }

        var tail = segments.AsSpan(rest);

        // "/namespaces/{ns}/{plural}/…" is a namespaced path only when {plural} is a namespaced resource;
        // "/namespaces/{name}/status" is the namespace object's own subresource.
        if (tail.Length >= 3 && tail[0] == "namespaces"
            && StandInResources.Find(group, version, tail[2]) is { Namespaced: true } namespaced)
        {
            return Build(namespaced, tail[1], tail[3..], out parsed);
        }

        if (StandInResources.Find(group, version, tail[0]) is not { } resource)
        {
            return false;
        }

        // A namespaced resource without a namespace is only a list or watch across all namespaces.
        if (resource.Namespaced && tail.Length > 1)
        {
            return false;
        }

        return Build(resource, null, tail[1..], out parsed);
    }

    private static bool Build(StandInResource resource, string? ns, ReadOnlySpan<string> nameAndSub, out ResourcePath? parsed)
    {
        parsed = null;
        switch (nameAndSub.Length)
        {
            case 0:
                parsed = new ResourcePath(resource, ns, null, null);
                return true;
            case 1:
                parsed = new ResourcePath(resource, ns, nameAndSub[0], null);
                return true;
            case 2 when resource.FindSubresource(nameAndSub[1]) is not null:
                parsed = new ResourcePath(resource, ns, nameAndSub[0], nameAndSub[1]);
                return true;
            default:
                return false;
        }
    }
}
