namespace OrleansGate.IntegrationTests.Http;

/// <summary>One request as <see cref="RecordingHttpUpstream"/> received it.</summary>
/// <param name="Target">The raw request target, still percent-encoded: <c>/base/v1/invoices/42?x=1</c>.</param>
/// <param name="Headers">Every header, values joined with ", ", names compared without case.</param>
/// <param name="Body">The body as UTF-8 text, empty when there was none.</param>
public sealed record UpstreamRequest(string Method, string Target, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public string Path => Target.Split('?', 2)[0];

    public string Query => Target.Contains('?', StringComparison.Ordinal) ? Target.Split('?', 2)[1] : "";

    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}
