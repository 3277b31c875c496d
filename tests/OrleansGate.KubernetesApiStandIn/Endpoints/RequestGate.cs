using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using OrleansGate.KubernetesApiStandIn.Certificates;

namespace OrleansGate.KubernetesApiStandIn.Endpoints;

/// <summary>
/// First stop of every request: record it, then let it in only with the configured bearer token or (when
/// enabled) a client certificate from the stand-in's CA. Anything else is a 401 <c>Status</c>, as from a real
/// server with anonymous auth off.
/// </summary>
internal sealed class RequestGate(RequestLog log, string bearerToken, StandInCertificateAuthority? clientAuthority)
{
    /// <summary>Bodies are recorded up to this size; gateway tests compare bodies of ordinary objects.</summary>
    private const int MaxRecordedBody = 1 << 20;

    private readonly byte[] _expected = Encoding.UTF8.GetBytes("Bearer " + bearerToken);

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var request = context.Request;
        var body = await RecordableBodyAsync(request).ConfigureAwait(false);
        var headers = RecordedRequest.HeadersOfInterest
            .Where(h => request.Headers.ContainsKey(h))
            .ToDictionary(h => h, h => request.Headers[h].ToString(), StringComparer.OrdinalIgnoreCase);
        var certificate = context.Connection.ClientCertificate;
        log.Add(new RecordedRequest(
            request.Method, request.Path + request.QueryString, request.Protocol, headers, body, certificate?.Subject));

        if (!HasToken(request) && !(certificate is not null && clientAuthority?.Issued(certificate) == true))
        {
            await JsonResponse.WriteStatusAsync(context.Response, ApiStatus.Unauthorized()).ConfigureAwait(false);
            return;
        }

        await next(context).ConfigureAwait(false);
    }

    private bool HasToken(HttpRequest request)
    {
        var presented = Encoding.UTF8.GetBytes(request.Headers.Authorization.ToString());
        return CryptographicOperations.FixedTimeEquals(presented, _expected);
    }

    private static async Task<string> RecordableBodyAsync(HttpRequest request)
    {
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
        {
            return "";
        }

        // Buffered so the endpoint can read the same body after it has been recorded.
        request.EnableBuffering();
        using var copy = new MemoryStream();
        var buffer = new byte[16 * 1024];
        int n;
        while (copy.Length < MaxRecordedBody
               && (n = await request.Body.ReadAsync(buffer, request.HttpContext.RequestAborted).ConfigureAwait(false)) > 0)
        {
            copy.Write(buffer, 0, n);
        }

        request.Body.Position = 0;
        return Encoding.UTF8.GetString(copy.GetBuffer(), 0, (int)Math.Min(copy.Length, MaxRecordedBody));
    }
}
