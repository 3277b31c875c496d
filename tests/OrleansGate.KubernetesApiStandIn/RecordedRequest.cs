namespace OrleansGate.KubernetesApiStandIn;

/// <summary>
/// One request as the stand-in received it, before authentication, so a gateway test can assert what was
/// forwarded upstream — or that nothing was.
/// </summary>
/// <param name="PathAndQuery">The raw target, e.g. <c>/api/v1/namespaces/default/pods?limit=500</c>.</param>
/// <param name="Protocol"><c>HTTP/1.1</c> or <c>HTTP/2</c>.</param>
/// <param name="Headers">The headers of interest that were present (see <see cref="HeadersOfInterest"/>), first value each.</param>
/// <param name="Body">The body of a create, update or patch (UTF-8, up to 1 MiB); empty otherwise.</param>
/// <param name="ClientCertificateSubject">The subject of the client certificate the TLS handshake presented, if any.</param>
public sealed record RecordedRequest(
    string Method,
    string PathAndQuery,
    string Protocol,
    IReadOnlyDictionary<string, string> Headers,
    string Body,
    string? ClientCertificateSubject)
{
    public static IReadOnlyList<string> HeadersOfInterest { get; } =
    [
        "Authorization", "Accept", "Content-Type", "User-Agent", "Upgrade", "Sec-WebSocket-Protocol",
        "Impersonate-User", "Impersonate-Group", "Impersonate-Uid", "X-Remote-User", "X-Forwarded-For",
    ];

    public string Path => PathAndQuery.Split('?', 2)[0];

    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}
