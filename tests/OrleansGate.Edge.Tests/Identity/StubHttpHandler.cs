using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace OrleansGate.Edge.Tests.Identity;

/// <summary>Answers HTTP requests from a table of URL → (status, JSON body, Cache-Control), recording what was asked.</summary>
internal sealed class StubHttpHandler : HttpMessageHandler
{
    private readonly Dictionary<string, (HttpStatusCode Status, string Body, string? CacheControl)> _responses = new(StringComparer.Ordinal);
    private readonly List<string> _requested = [];

    /// <summary>Every URL requested, in order (snapshot; safe to read while requests run).</summary>
    public IReadOnlyList<string> Requested
    {
        get
        {
            lock (_requested)
            {
                return [.. _requested];
            }
        }
    }

    public int Count(string url) => Requested.Count(u => u == url);

    public StubHttpHandler Respond(string url, string json, HttpStatusCode status = HttpStatusCode.OK, string? cacheControl = null)
    {
        lock (_requested)
        {
            _responses[url] = (status, json, cacheControl);
        }

        return this;
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var url = request.RequestUri!.AbsoluteUri;
        (HttpStatusCode Status, string Body, string? CacheControl) response;
        lock (_requested)
        {
            _requested.Add(url);
            response = _responses.TryGetValue(url, out var r) ? r : (HttpStatusCode.NotFound, "{}", null);
        }

        var message = new HttpResponseMessage(response.Status) { Content = new StringContent(response.Body, Encoding.UTF8, "application/json") };
        if (response.CacheControl is not null)
        {
            message.Headers.CacheControl = CacheControlHeaderValue.Parse(response.CacheControl);
        }

        return Task.FromResult(message);
    }
}
