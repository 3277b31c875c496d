using System.Net;
using System.Text;

namespace OrleansGate.Edge.Tests.Identity;

/// <summary>Answers HTTP requests from a table of URL → (status, JSON body), recording what was asked.</summary>
internal sealed class StubHttpHandler : HttpMessageHandler
{
    private readonly Dictionary<string, (HttpStatusCode Status, string Body)> _responses = new(StringComparer.Ordinal);

    public List<string> Requested { get; } = [];

    public StubHttpHandler Respond(string url, string json, HttpStatusCode status = HttpStatusCode.OK)
    {
        _responses[url] = (status, json);
        return this;
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var url = request.RequestUri!.AbsoluteUri;
        Requested.Add(url);
        var (status, body) = _responses.TryGetValue(url, out var response) ? response : (HttpStatusCode.NotFound, "{}");
        return Task.FromResult(new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") });
    }
}
