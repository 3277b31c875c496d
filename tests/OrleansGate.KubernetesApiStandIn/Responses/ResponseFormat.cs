namespace OrleansGate.KubernetesApiStandIn.Responses;

/// <summary>
/// The body form a GET asked for in its Accept header, first acceptable entry winning:
/// <list type="bullet">
/// <item><c>application/json;as=Table;v=v1;g=meta.k8s.io</c> (and <c>v=v1beta1</c>): a <c>meta.k8s.io Table</c>
/// — what <c>kubectl get</c> asks for when it prints columns (not for <c>-o json|yaml|name|jsonpath</c>);</item>
/// <item><c>application/json</c>, <c>application/*</c>, <c>*/*</c> or no header: the object or <c>XxxList</c> as JSON;</item>
/// <item>anything else (<c>application/vnd.kubernetes.protobuf</c>, <c>as=PartialObjectMetadataList</c>, YAML) is
/// skipped, and a header with nothing acceptable gets 406.</item>
/// </list>
/// </summary>
internal sealed record ResponseFormat(string? TableApiVersion)
{
    public static ResponseFormat Json { get; } = new((string?)null);

    public bool IsTable => TableApiVersion is not null;

    /// <summary>The Content-Type of a response in this form, which clients check before decoding.</summary>
    public string ContentType => TableApiVersion switch
    {
        null => "application/json",
        var v => $"application/json;as=Table;v={v["meta.k8s.io/".Length..]};g=meta.k8s.io",
    };

    public static ResponseFormat Negotiate(string? accept)
    {
        if (string.IsNullOrWhiteSpace(accept))
        {
            return Json;
        }

        foreach (var entry in accept.Split(','))
        {
            var parts = entry.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 0)
            {
                continue;
            }

            var parameters = parts[1..]
                .Select(p => p.Split('=', 2, StringSplitOptions.TrimEntries))
                .Where(p => p.Length == 2)
                .ToDictionary(p => p[0], p => p[1], StringComparer.OrdinalIgnoreCase);
            var mediaType = parts[0].ToLowerInvariant();
            if (mediaType is "*/*" or "application/*")
            {
                return Json;
            }

            if (mediaType != "application/json")
            {
                continue;
            }

            if (!parameters.TryGetValue("as", out var shape))
            {
                return Json;
            }

            if (shape == "Table" && parameters.GetValueOrDefault("g") == "meta.k8s.io"
                && parameters.GetValueOrDefault("v") is "v1" or "v1beta1")
            {
                return new ResponseFormat("meta.k8s.io/" + parameters["v"]);
            }
        }

        throw new ApiStatusException(ApiStatus.NotAcceptable(accept));
    }
}
