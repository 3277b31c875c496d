using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using OrleansGate.KubernetesApiStandIn.Endpoints;
using OrleansGate.KubernetesApiStandIn.Store;

namespace OrleansGate.KubernetesApiStandIn.Pods;

/// <summary>
/// <c>GET pods/{name}/log</c>: the pod's text as <c>text/plain</c>. With <c>follow=true</c> the response stays
/// open and each appended line is written and flushed as a chunk, until the client goes, the pod is deleted
/// or the stand-in stops. <c>tailLines</c> is honoured; <c>timestamps</c>, <c>previous</c> and
/// <c>sinceSeconds</c> are ignored, and all containers of a pod share one text.
/// </summary>
internal sealed class PodLogEndpoint(ObjectStore store, PodLogs logs, CancellationToken stopping)
{
    public async Task HandleAsync(HttpContext context, ResourcePath path)
    {
        if (!HttpMethods.IsGet(context.Request.Method))
        {
            throw new ApiStatusException(ApiStatus.MethodNotAllowed(context.Request.Method));
        }

        var pod = store.Get(path.Resource, path.Namespace, path.Name!);
        CheckContainer(pod, context.Request.Query["container"]);
        var follow = JsonResponse.Flag(context.Request, "follow");
        var (lines, follower) = logs.Read(path.Namespace!, path.Name!, follow);
        using var _ = follower;
        if (int.TryParse(context.Request.Query["tailLines"], NumberStyles.None, CultureInfo.InvariantCulture, out var tail))
        {
            lines = lines.Skip(Math.Max(0, lines.Count - tail)).ToList();
        }

        var response = context.Response;
        response.StatusCode = 200;
        response.ContentType = "text/plain";
        await WriteAsync(response, string.Concat(lines)).ConfigureAwait(false);
        if (follower is null)
        {
            return;
        }

        using var ending = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        try
        {
            await foreach (var line in follower.Lines.ReadAllAsync(ending.Token).ConfigureAwait(false))
            {
                await WriteAsync(response, line).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ending.IsCancellationRequested)
        {
            // The client closed the stream or the stand-in is stopping.
        }
    }

    /// <summary>A named container must be one of the pod's, as the real server checks before the kubelet is asked.</summary>
    public static void CheckContainer(JsonObject pod, string? container)
    {
        if (string.IsNullOrEmpty(container))
        {
            return;
        }

        var names = (pod["spec"]?["containers"] as JsonArray ?? []).Select(c => c?["name"]?.GetValue<string>());
        if (!names.Contains(container))
        {
            throw new ApiStatusException(ApiStatus.BadRequest(
                $"container {container} is not valid for pod {ObjectMetadata.Name(pod)}"));
        }
    }

    private static async Task WriteAsync(HttpResponse response, string text)
    {
        if (text.Length > 0)
        {
            await response.Body.WriteAsync(Encoding.UTF8.GetBytes(text), response.HttpContext.RequestAborted).ConfigureAwait(false);
        }

        // Flushed even when empty, so a follower's headers reach the client before any line does.
        await response.Body.FlushAsync(response.HttpContext.RequestAborted).ConfigureAwait(false);
    }
}
