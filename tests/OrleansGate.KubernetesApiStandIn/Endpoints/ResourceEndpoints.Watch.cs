using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using OrleansGate.KubernetesApiStandIn.Responses;
using OrleansGate.KubernetesApiStandIn.Store;

namespace OrleansGate.KubernetesApiStandIn.Endpoints;

internal sealed partial class ResourceEndpoints
{
    /// <summary>
    /// <c>?watch=true</c>: a chunked stream of one JSON event per line, each flushed as it happens, until the
    /// client goes, <c>timeoutSeconds</c> pass on the stand-in's clock, or the stand-in stops.
    /// </summary>
    private async Task WatchAsync(HttpContext context, ResourcePath path)
    {
        var request = context.Request;
        var format = ResponseFormat.Negotiate(request.Headers.Accept);
        var includeObject = request.Query["includeObject"].ToString();
        var response = context.Response;
        response.StatusCode = 200;
        response.ContentType = format.ContentType;

        WatchSubscription subscription;
        try
        {
            subscription = store.Watch(path.Resource, path.Namespace, SelectorOf(request), request.Query["resourceVersion"]);
        }
        catch (ApiStatusException e) when (e.Status.Code == 410)
        {
            // A watch from a version older than the history is answered as the real server does: 200 and
            // one ERROR event carrying the 410 Status, on which client-go relists.
            await WriteEventAsync(response, new WatchEvent(WatchEvent.Error, e.Status.ToJson())).ConfigureAwait(false);
            return;
        }

        using var _ = subscription;
        using var timeout = TimeoutSource(request);
        using var ending = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping, timeout.Token);

        // Headers go out now, so the client knows the watch is established before the first change.
        await response.StartAsync(context.RequestAborted).ConfigureAwait(false);
        await response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
        var first = true;
        try
        {
            await foreach (var change in subscription.Events.ReadAllAsync(ending.Token).ConfigureAwait(false))
            {
                var shown = format.IsTable
                    ? tables.ToTable(path.Resource, [change.Object], change.Object["metadata"]!["resourceVersion"]!.GetValue<string>(), format, includeObject, withColumns: first)
                    : change.Object;
                first = false;
                await WriteEventAsync(response, change with { Object = shown }).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ending.IsCancellationRequested)
        {
            // The client went, the timeout passed or the stand-in is stopping: the stream just ends.
        }
    }

    private CancellationTokenSource TimeoutSource(HttpRequest request) =>
        int.TryParse(request.Query["timeoutSeconds"], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds > 0
            ? new CancellationTokenSource(TimeSpan.FromSeconds(seconds), time)
            : new CancellationTokenSource();

    private static async Task WriteEventAsync(HttpResponse response, WatchEvent change)
    {
        var line = new JsonObject { ["type"] = change.Type, ["object"] = change.Object }.ToJsonString() + "\n";
        await response.Body.WriteAsync(Encoding.UTF8.GetBytes(line), response.HttpContext.RequestAborted).ConfigureAwait(false);
        await response.Body.FlushAsync(response.HttpContext.RequestAborted).ConfigureAwait(false);
    }
}
