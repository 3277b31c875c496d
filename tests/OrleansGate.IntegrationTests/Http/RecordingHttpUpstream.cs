using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OrleansGate.KubernetesApiStandIn.Certificates;

namespace OrleansGate.IntegrationTests.Http;

/// <summary>
/// The HTTP tests' upstream: a stand-in for "some HTTP API" behind an <c>http</c> target, a Kestrel app in the test
/// process that records every request it receives (method, raw target, headers, body) before answering, so a test can
/// assert what the gateway forwarded, or that it forwarded nothing. It answers GET with 200 and POST with 201, each with
/// a small JSON body naming what it saw, and a header of its own.
/// </summary>
/// <remarks>
/// Not nginx: nginx reads a body only when it proxies one, and its access log is written after the answer, so "nothing
/// reached the upstream" could only be polled for. Here each request is recorded before its answer is sent: by the
/// time the agent has the gateway's answer, the record is there.
/// </remarks>
public sealed class RecordingHttpUpstream : IAsyncDisposable
{
    public const string AnswerHeader = "X-Upstream-Answer";

    private readonly WebApplication _app;
    private readonly StandInCertificateAuthority? _authority;
    private readonly Lock _gate = new();
    private readonly List<UpstreamRequest> _requests = [];

    private RecordingHttpUpstream(WebApplication app, StandInCertificateAuthority? authority)
    {
        _app = app;
        _authority = authority;
    }

    /// <summary><c>http(s)://127.0.0.1:PORT/</c>.</summary>
    public Uri Url => new(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    /// <summary>The PEM of the CA that signed the serving certificate (HTTPS only).</summary>
    public string CaCertificatePem => _authority?.CertificatePem ?? throw new InvalidOperationException("this upstream is plain http");

    /// <summary>Every request received so far, oldest first.</summary>
    public IReadOnlyList<UpstreamRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    /// <param name="https">Serve HTTPS with a certificate of a CA of its own (<see cref="CaCertificatePem"/>), else plain http.</param>
    public static async Task<RecordingHttpUpstream> StartAsync(bool https)
    {
        var authority = https ? StandInCertificateAuthority.Create() : null;
        var certificate = authority?.IssueServerCertificate();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (certificate is not null)
        {
            builder.WebHost.UseKestrelHttpsConfiguration();
        }

        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            if (certificate is not null)
            {
                listen.UseHttps(certificate);
            }
        }));
        var app = builder.Build();
        var upstream = new RecordingHttpUpstream(app, authority);
        app.Run(upstream.AnswerAsync);
        await app.StartAsync();
        return upstream;
    }

    private async Task AnswerAsync(HttpContext context)
    {
        var request = context.Request;
        using var reader = new StreamReader(request.Body);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        var recorded = new UpstreamRequest(
            request.Method,
            context.Features.Get<IHttpRequestFeature>()!.RawTarget,
            request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            body);
        lock (_gate)
        {
            _requests.Add(recorded);
        }

        context.Response.StatusCode = request.Method == "POST" ? StatusCodes.Status201Created : StatusCodes.Status200OK;
        context.Response.Headers[AnswerHeader] = "yes";
        await context.Response.WriteAsJsonAsync(new { method = request.Method, path = recorded.Path }, context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _authority?.Dispose();
    }
}
