using System.IO.Pipelines;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;
using OrleansGate.Kubernetes.Masking;
using Yarp.ReverseProxy.Forwarder;

namespace OrleansGate.Edge.Http;

/// <summary>
/// One forwarded request: to the target's URL with the gateway's own credential (never the agent's token), asking for
/// JSON (no protobuf, no compression) when the answer is masked, and the answer's JSON masked on its way back
/// (<see cref="KubernetesResponseMasker"/>, streamed: a watch event reaches the agent as soon as it is complete).
/// </summary>
public sealed class AgentHttpTransformer(Uri upstream, string? token, KubernetesMaskRules? mask, KubernetesResponseMasker masker) : HttpTransformer
{
    /// <summary>What the masker saw and masked (null when the answer was not masked).</summary>
    public KubernetesMaskResult? Masked { get; private set; }

    /// <summary>Why the answer was cut (a masking failure: fail closed), or null.</summary>
    public string? Failure { get; private set; }

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(proxyRequest);
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken).ConfigureAwait(false);
        proxyRequest.RequestUri = upstream;
        proxyRequest.Headers.Host = null;
        proxyRequest.Headers.Authorization = token is null ? null : new AuthenticationHeaderValue("Bearer", token);
        proxyRequest.Headers.Remove("Cookie");
        if (mask is not null)
        {
            // The masker reads JSON only: no protobuf, and no compression it would have to undo.
            proxyRequest.Headers.AcceptEncoding.Clear();
            var accepted = proxyRequest.Headers.Accept.Where(a => !a.MediaType!.Contains("protobuf", StringComparison.OrdinalIgnoreCase)).ToList();
            proxyRequest.Headers.Accept.Clear();
            foreach (var media in accepted.Count > 0 ? accepted : [new MediaTypeWithQualityHeaderValue("application/json")])
            {
                proxyRequest.Headers.Accept.Add(media);
            }
        }
    }

    public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken).ConfigureAwait(false);
        if (proxyResponse is null || mask is null || proxyResponse.StatusCode == System.Net.HttpStatusCode.SwitchingProtocols)
        {
            return true;
        }

        var media = proxyResponse.Content.Headers.ContentType?.MediaType ?? "";
        if (media.StartsWith("text/plain", StringComparison.OrdinalIgnoreCase) && proxyResponse.Content.Headers.ContentEncoding.Count == 0)
        {
            return true; // logs: no objects in them
        }

        httpContext.Response.Headers.ContentLength = null;
        if (!media.Contains("json", StringComparison.OrdinalIgnoreCase) || proxyResponse.Content.Headers.ContentEncoding.Count > 0)
        {
            // An answer the masker cannot read may hold what it must mask: refused, not passed through.
            Failure = $"the target answered with {(media.Length == 0 ? "no content type" : media)}{(proxyResponse.Content.Headers.ContentEncoding.Count > 0 ? " (compressed)" : "")}, which the gateway cannot mask";
            httpContext.Response.StatusCode = StatusCodes.Status502BadGateway;
            return false;
        }

        var source = PipeReader.Create(await proxyResponse.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false));
        try
        {
            Masked = await masker.MaskAsync(source, httpContext.Response.BodyWriter, mask, cancellationToken).ConfigureAwait(false);
        }
        catch (KubernetesMaskingException e)
        {
            Failure = $"the answer could not be masked ({e.Error}): cut";
            httpContext.Abort(); // what was written is whole masked objects only; the rest never leaves
        }
        finally
        {
            await source.CompleteAsync().ConfigureAwait(false);
        }

        return false;
    }
}
