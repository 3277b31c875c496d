using System.IO.Pipelines;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;
using OrleansGate.Kubernetes.Masking;
using OrleansGate.Kubernetes.Requests;
using Yarp.ReverseProxy.Forwarder;

namespace OrleansGate.Edge.Http;

/// <summary>
/// One forwarded request: to the target's URL with the gateway's own credential (never the agent's token), asking for
/// JSON (no protobuf, no compression) when the answer is masked, and the answer's JSON masked on its way back
/// (<see cref="KubernetesResponseMasker"/>, streamed: a watch event reaches the agent as soon as it is complete).
/// </summary>
/// <remarks>
/// For a resource whose objects may have values to mask (<see cref="KubernetesMaskRules.MayMask"/>; a request whose
/// resource is unknown counts), the server-side forms are taken out of <c>Accept</c> (<c>as=Table</c>, which
/// <c>kubectl get</c> asks for, and <c>as=PartialObjectMetadata…</c>): a Table's cells and a metadata-only object copy
/// fields the masker cannot mask by the objects' kind. kubectl then prints the masked objects itself. An answer in such
/// a form all the same is refused with 502.
/// </remarks>
public sealed class AgentHttpTransformer(
    Uri upstream, string? token, KubernetesMaskRules? mask, KubernetesResponseMasker masker, KubernetesRequest? request) : HttpTransformer
{
    private readonly KubernetesMaskRules? _mask = mask is not null && (request is null || mask.MayMask(request.ApiGroup, request.Resource))
        ? mask.WithServerSideFormsRefused()
        : mask;

    /// <summary>What the masker saw and masked (null when the answer was not masked).</summary>
    public KubernetesMaskResult? Masked { get; private set; }

    /// <summary>Why the answer was cut (a masking failure: fail closed), or null.</summary>
    public string? Failure { get; private set; }

    /// <summary>
    /// Awaited when the target's answer arrives, before any of it is passed on: the request's record durable (null) or
    /// why not, and then the answer is withheld and the agent gets 503.
    /// </summary>
    public Func<CancellationToken, ValueTask<string?>>? BeforeAnswer { get; init; }

    /// <summary>Why the answer was withheld (its request's record could not be written), or null.</summary>
    public string? Withheld { get; private set; }

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(proxyRequest);
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken).ConfigureAwait(false);
        proxyRequest.RequestUri = upstream;
        proxyRequest.Headers.Host = null;
        proxyRequest.Headers.Authorization = token is null ? null : new AuthenticationHeaderValue("Bearer", token);
        proxyRequest.Headers.Remove("Cookie");
        if (_mask is not null)
        {
            // The masker reads JSON only: no protobuf, and no compression it would have to undo.
            proxyRequest.Headers.AcceptEncoding.Clear();
            var accepted = proxyRequest.Headers.Accept
                .Where(a => !a.MediaType!.Contains("protobuf", StringComparison.OrdinalIgnoreCase) && !(_mask.RefusesServerSideForms && IsServerSideForm(a)))
                .ToList();
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
        if (BeforeAnswer is not null && proxyResponse is not null && await BeforeAnswer(cancellationToken).ConfigureAwait(false) is { } withheld)
        {
            // Fail closed: the read ran, but nothing of its answer reaches the agent without its record.
            Withheld = withheld;
            await KubernetesStatus.WriteAsync(httpContext, StatusCodes.Status503ServiceUnavailable, $"refused by the gateway: {withheld}").ConfigureAwait(false);
            return false;
        }

        await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken).ConfigureAwait(false);
        if (proxyResponse is null || _mask is null || proxyResponse.StatusCode == System.Net.HttpStatusCode.SwitchingProtocols)
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
            Masked = await masker.MaskAsync(source, httpContext.Response.BodyWriter, _mask, cancellationToken).ConfigureAwait(false);
        }
        catch (KubernetesMaskingException e) when (e.Error == KubernetesMaskingError.ServerSideForm && NothingSent(httpContext))
        {
            // The target ignored the Accept without the Table form: nothing has left, so the agent is told why.
            Failure = $"{e.Message}: refused";
            await KubernetesStatus.WriteAsync(httpContext, StatusCodes.Status502BadGateway, Failure).ConfigureAwait(false);
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

    /// <summary><c>application/json;as=Table;v=v1;g=meta.k8s.io</c> and the like: any media type that names a conversion.</summary>
    private static bool IsServerSideForm(MediaTypeWithQualityHeaderValue media) =>
        media.Parameters.Any(p => p.Name.Equals("as", StringComparison.OrdinalIgnoreCase));

    private static bool NothingSent(HttpContext context) =>
        !context.Response.HasStarted && context.Response.BodyWriter is { CanGetUnflushedBytes: true, UnflushedBytes: 0 };
}
