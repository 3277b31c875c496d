using System.Net;

namespace OrleansGate.Tests.DevIdp;

/// <summary>Counts requests and fails them (or answers 404), so tests see whether anything was sent.</summary>
internal sealed class RecordingHandler : HttpMessageHandler
{
    public int Requests { get; private set; }

    public Exception? Failure { get; init; }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Requests++;
        return Failure is null ? Task.FromResult(new HttpResponseMessage(HttpStatusCode.NotFound)) : Task.FromException<HttpResponseMessage>(Failure);
    }
}
