using System.Diagnostics.CodeAnalysis;
using static OrleansGate.Kubernetes.Requests.RefusalText;

namespace OrleansGate.Kubernetes.Requests;

/// <summary>
/// Reads checked, decoded path segments as the API server's <c>NewRequestInfo</c> does:
/// <c>/api/{version}/...</c> and <c>/apis/{group}/{version}/...</c>, then an optional <c>watch</c> prefix, then
/// <c>namespaces/{namespace}/</c>, then <c>{resource}/{name}/{subresource}</c>. Shorter paths are non-resource requests.
/// </summary>
internal static class ResourcePathReader
{
    public static KubernetesRequestParseResult Read(string method, RequestPath path, RequestQuery query)
    {
        var segments = path.Segments;
        if (segments.Length > 0 && (IsCaseVariant(segments[0], "api") || IsCaseVariant(segments[0], "apis")))
        {
            return CaseVariant(segments[0]);
        }

        // Like the API server: "/api/v1", "/apis/apps" and "/apis/apps/v1" are discovery, not resources.
        var grouped = segments is ["apis", _, _, _, ..];
        if (!grouped && segments is not ["api", _, _, ..])
        {
            return KubernetesRequestParseResult.Accepted(
                new KubernetesRequest { IsResourceRequest = false, Verb = method.ToLowerInvariant(), Path = path.Decoded, RawPath = path.Raw });
        }

        var next = 1;
        var group = grouped ? segments[next++] : "";
        var version = segments[next++];
        var rest = segments.AsSpan(next);

        string verb;
        if (rest[0] is "watch" or "proxy" || IsCaseVariant(rest[0], "watch") || IsCaseVariant(rest[0], "proxy"))
        {
            if (!TryReadPathVerb(method, rest, out var refusal))
            {
                return KubernetesRequestParseResult.Refused(refusal);
            }

            verb = "watch";
            rest = rest[1..];
        }
        else if (!TryReadMethodVerb(method, out verb))
        {
            // The API server leaves the verb empty, which no policy can name.
            return KubernetesRequestParseResult.Refused($"HTTP method {method} has no Kubernetes verb on a resource path: refused");
        }

        var ns = "";
        if (IsCaseVariant(rest[0], "namespaces"))
        {
            return CaseVariant(rest[0]);
        }

        if (rest is ["namespaces", var namespaceName, ..])
        {
            // "namespaces/{ns}" is the namespace object (its namespace is itself, as in the API server);
            // "namespaces/{ns}/status" and ".../finalize" are its subresources; anything else is a namespaced resource.
            ns = namespaceName;
            if (rest.Length > 2 && rest[2] is not ("status" or "finalize"))
            {
                if (IsCaseVariant(rest[2], "status") || IsCaseVariant(rest[2], "finalize"))
                {
                    return CaseVariant(rest[2]);
                }

                rest = rest[2..];
                if (rest[0].Equals("namespaces", StringComparison.OrdinalIgnoreCase))
                {
                    // The API server reads this as the namespace object named by the second name, inside the first.
                    return KubernetesRequestParseResult.Refused(
                        $"a namespace path inside namespace {Quote(ns)} is refused: it names two namespaces");
                }
            }
        }

        var resource = rest[0];
        var name = rest.Length > 1 ? rest[1] : "";
        var subresource = rest.Length > 2 ? rest[2] : "";
        if (rest.Length > 3 && subresource != "proxy")
        {
            // The API server ignores them, so they would be authorised as the subresource but reach a handler unread.
            return KubernetesRequestParseResult.Refused(
                $"path segments after subresource {Quote(subresource)} (starting {Quote(rest[3])}) are refused: only the proxy subresource takes a path of its own");
        }

        if (name.Length == 0 && verb == "get")
        {
            verb = query.Watch == true ? "watch" : "list";
            if (query.FieldSelector is not null)
            {
                if (!MetadataNameSelector.TryFind(query.FieldSelector, out var selected, out var refusal))
                {
                    return KubernetesRequestParseResult.Refused(refusal);
                }

                name = selected ?? "";
            }
        }

        if (name.Length == 0 && verb == "delete")
        {
            verb = "deletecollection";
        }

        return KubernetesRequestParseResult.Accepted(new KubernetesRequest
        {
            IsResourceRequest = true,
            Verb = verb,
            Path = path.Decoded,
            RawPath = path.Raw,
            ApiPrefix = segments[0],
            ApiGroup = group,
            ApiVersion = version,
            Namespace = ns,
            Resource = resource,
            Subresource = subresource,
            Name = name,
        });
    }

    private static bool TryReadPathVerb(string method, ReadOnlySpan<string> rest, [NotNullWhen(false)] out string? refusal)
    {
        if (rest[0] == "proxy")
        {
            // Removed from the API server long ago; its reader still grants the proxy verb for any method and leaves
            // every later segment uninterpreted.
            refusal = "the legacy /proxy/ path prefix is refused: use the proxy subresource (.../pods/{name}/proxy/...)";
            return false;
        }

        if (rest[0] != "watch")
        {
            refusal = $"path segment {Quote(rest[0])} differs only in case from a verb prefix the API server reads: refused";
            return false;
        }

        if (rest.Length < 2)
        {
            refusal = "the watch path prefix names no resource: refused (the API server cannot read it either)";
            return false;
        }

        if (method is not ("GET" or "HEAD"))
        {
            // The API server takes the verb from the path whatever the method; the two disagree, so refuse.
            refusal = $"the watch path prefix with HTTP method {method} is refused: a watch is a GET";
            return false;
        }

        if (rest[1] is "watch" or "proxy")
        {
            refusal = $"the watch path prefix followed by {Quote(rest[1])} is refused: it reads as two verbs";
            return false;
        }

        refusal = null;
        return true;
    }

    private static bool TryReadMethodVerb(string method, out string verb)
    {
        verb = method switch
        {
            "GET" or "HEAD" => "get",
            "POST" => "create",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" => "delete",
            _ => "",
        };
        return verb.Length > 0;
    }

    // Go compares these case-sensitively; a case-insensitive router or proxy would not, so neither reading is safe.
    private static bool IsCaseVariant(string segment, string keyword) =>
        segment != keyword && segment.Equals(keyword, StringComparison.OrdinalIgnoreCase);

    private static KubernetesRequestParseResult CaseVariant(string segment) =>
        KubernetesRequestParseResult.Refused(
            $"path segment {Quote(segment)} differs only in case from a path keyword the API server reads: refused");
}
