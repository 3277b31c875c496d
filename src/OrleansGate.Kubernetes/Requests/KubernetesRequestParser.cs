using static OrleansGate.Kubernetes.Requests.RefusalText;

namespace OrleansGate.Kubernetes.Requests;

/// <summary>
/// Gives an HTTP request to the Kubernetes API the attributes the API server itself gives it
/// (k8s.io/apiserver <c>RequestInfoFactory.NewRequestInfo</c>), or refuses it with a reason. Never throws.
/// </summary>
/// <remarks>
/// <code>
///   "GET", "/apis/apps/v1/namespaces/ns/deployments/web/scale?watch=0"
///          |  path: checked, decoded once    |  query: watch, fieldSelector
///          v                                 v
///   [apis] [apps] [v1] [namespaces] [ns] [deployments] [web] [scale]
///   prefix  group  ver   namespace       resource      name  subresource
/// </code>
/// <list type="number">
/// <item>Refuse unknown methods and request targets over <see cref="MaxRequestTargetLength"/>.</item>
/// <item>Check and decode the path (<see cref="RequestPath"/>): encoded "/", double encoding, dot and empty
/// segments, backslashes, control and non-ASCII characters are refused.</item>
/// <item>Read the query (<see cref="RequestQuery"/>): conflicting repeats, ";" and bad escapes are refused.</item>
/// <item>Read the segments as the API server does (<see cref="ResourcePathReader"/>), refusing where it would
/// interpret a path loosely (segments after a subresource, nested namespaces, verbs in the path with another method).</item>
/// </list>
/// The refusals are stricter than the API server on purpose: a path that could map to two different resources is denied.
/// </remarks>
public static class KubernetesRequestParser
{
    /// <summary>8 KiB: the request-line limit of common proxies; Kubernetes paths and selectors are far shorter.</summary>
    public const int MaxRequestTargetLength = 8192;

    /// <param name="method">The HTTP method, case-sensitive as HTTP defines it.</param>
    /// <param name="rawPathAndQuery">The request target as received, still percent-encoded, e.g. <c>/api/v1/pods?watch=1</c>.</param>
    public static KubernetesRequestParseResult Parse(string method, string rawPathAndQuery)
    {
        if (Split(method, rawPathAndQuery, out var rawPath, out var rawQuery) is { } refused)
        {
            return refused;
        }

        if (!RequestPath.TryDecode(rawPath, out var path, out var refusal)
            || !RequestQuery.TryParse(rawQuery, out var query, out refusal))
        {
            return KubernetesRequestParseResult.Refused(refusal);
        }

        return ResourcePathReader.Read(method, path, query);
    }

    /// <summary>
    /// A request to a plain HTTP API (a target of kind <c>http</c>): the same path checks (a path that could name
    /// another resource is refused), a query with well-formed escapes, and none of the Kubernetes readings: the result
    /// is a non-resource request whose <see cref="KubernetesRequest.Verb"/> is the lowercased method.
    /// </summary>
    public static KubernetesRequestParseResult ParsePlainHttp(string method, string rawPathAndQuery)
    {
        if (Split(method, rawPathAndQuery, out var rawPath, out var rawQuery) is { } refused)
        {
            return refused;
        }

        if (!RequestPath.TryDecode(rawPath, out var path, out var refusal))
        {
            return KubernetesRequestParseResult.Refused(refusal);
        }

        for (var i = 0; i < rawQuery.Length; i++)
        {
            if (rawQuery[i] == '%' ? !UriCharacters.TryReadEscape(rawQuery, i, out _) : !UriCharacters.IsQueryCharacter(rawQuery[i]))
            {
                return KubernetesRequestParseResult.Refused(rawQuery[i] == '%'
                    ? "the query has a malformed percent-encoding: \"%\" must be followed by two hex digits"
                    : $"the query has {Quote(rawQuery[i])}, which must be percent-encoded: refused");
            }
        }

        return KubernetesRequestParseResult.Accepted(
            new KubernetesRequest { IsResourceRequest = false, Verb = method.ToLowerInvariant(), Path = path.Decoded, RawPath = path.Raw });
    }

    /// <summary>The checks both readings share: a known method, a target under the cap; then path and query apart.</summary>
    private static KubernetesRequestParseResult? Split(string method, string rawPathAndQuery, out ReadOnlySpan<char> rawPath, out ReadOnlySpan<char> rawQuery)
    {
        rawPath = rawQuery = default;
        if (method is null || rawPathAndQuery is null)
        {
            return KubernetesRequestParseResult.Refused("the method and the request target are both required");
        }

        if (rawPathAndQuery.Length > MaxRequestTargetLength)
        {
            return KubernetesRequestParseResult.Refused(
                $"the request target is {rawPathAndQuery.Length} characters long, over the {MaxRequestTargetLength} cap");
        }

        if (method is not ("GET" or "HEAD" or "POST" or "PUT" or "PATCH" or "DELETE" or "OPTIONS"))
        {
            return KubernetesRequestParseResult.Refused(
                $"HTTP method {Quote(method)} is refused: only GET, HEAD, POST, PUT, PATCH, DELETE and OPTIONS are known");
        }

        var target = rawPathAndQuery.AsSpan();
        var queryStart = target.IndexOf('?');
        rawPath = queryStart < 0 ? target : target[..queryStart];
        rawQuery = queryStart < 0 ? [] : target[(queryStart + 1)..];
        return null;
    }
}
