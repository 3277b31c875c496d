using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using OrleansGate.KubernetesApiStandIn.Pods;
using OrleansGate.KubernetesApiStandIn.Responses;

namespace OrleansGate.KubernetesApiStandIn.Endpoints;

/// <summary>
/// Routes an authenticated request: health, discovery, OpenAPI, then resource paths; anything else is a 404
/// <c>Status</c>. Every failure becomes a <c>Status</c> response (or, once a stream has started, an aborted
/// stream): nothing a client sends can take the stand-in down.
/// </summary>
internal sealed class ApiDispatcher(
    ResourceEndpoints resources, PodLogEndpoint logs, PodExecEndpoint exec, ILogger logger)
{
    public async Task HandleAsync(HttpContext context)
    {
        try
        {
            await RouteAsync(context).ConfigureAwait(false);
        }
        catch (ApiStatusException e) when (!context.Response.HasStarted)
        {
            await JsonResponse.WriteStatusAsync(context.Response, e.Status).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away mid-request: nobody to answer.
        }
        catch (Exception e)
        {
            StandInLog.RequestFailed(logger, e, context.Request.Method, context.Request.Path);
            if (context.Response.HasStarted)
            {
                context.Abort();
                return;
            }

            await JsonResponse.WriteStatusAsync(context.Response, ApiStatus.InternalError(e.Message)).ConfigureAwait(false);
        }
    }

    private Task RouteAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        if (path is "/healthz" or "/livez" or "/readyz")
        {
            context.Response.ContentType = "text/plain";
            return context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes("ok"), context.RequestAborted).AsTask();
        }

        if (path == "/openapi/v2" && HttpMethods.IsGet(context.Request.Method))
        {
            return OpenApiV2Async(context);
        }

        if (HttpMethods.IsGet(context.Request.Method)
            && Discovery.Find(path, $"{context.Request.Host.Host}:{context.Connection.LocalPort}") is { } document)
        {
            return JsonResponse.WriteAsync(context.Response, 200, document);
        }

        if (!ResourcePath.TryParse(path, out var resourcePath))
        {
            throw new ApiStatusException(ApiStatus.PathNotFound());
        }

        return resourcePath!.Subresource switch
        {
            null => resources.HandleAsync(context, resourcePath),
            "status" => resources.StatusAsync(context, resourcePath),
            "scale" => resources.ScaleAsync(context, resourcePath),
            "log" => logs.HandleAsync(context, resourcePath),
            "exec" or "attach" => exec.HandleAsync(context, resourcePath),
            _ => throw new ApiStatusException(ApiStatus.BadRequest($"{resourcePath.Subresource} is not supported by the Kubernetes API stand-in")),
        };
    }

    private static async Task OpenApiV2Async(HttpContext context)
    {
        if (!context.Request.Headers.Accept.ToString().Contains("protobuf", StringComparison.Ordinal))
        {
            await JsonResponse.WriteAsync(context.Response, 200, OpenApiV2.Json()).ConfigureAwait(false);
            return;
        }

        var document = OpenApiV2.Protobuf();
        context.Response.ContentType = OpenApiV2.ProtobufMediaType;
        context.Response.ContentLength = document.Length;
        await context.Response.Body.WriteAsync(document, context.RequestAborted).ConfigureAwait(false);
    }
}
