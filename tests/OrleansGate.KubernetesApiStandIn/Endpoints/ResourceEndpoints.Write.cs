using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using OrleansGate.KubernetesApiStandIn.Patching;
using OrleansGate.KubernetesApiStandIn.Store;

namespace OrleansGate.KubernetesApiStandIn.Endpoints;

internal sealed partial class ResourceEndpoints
{
    private async Task CreateAsync(HttpContext context, ResourcePath path)
    {
        RefuseDryRun(context.Request);
        var body = await JsonResponse.ReadObjectAsync(context.Request).ConfigureAwait(false);
        var created = store.Create(path.Resource, path.Namespace, body);
        await JsonResponse.WriteAsync(context.Response, 201, created).ConfigureAwait(false);
    }

    private async Task UpdateAsync(HttpContext context, ResourcePath path)
    {
        RefuseDryRun(context.Request);
        var body = await JsonResponse.ReadObjectAsync(context.Request).ConfigureAwait(false);
        var updated = store.Update(path.Resource, path.Namespace, path.Name!, _ => body);
        await JsonResponse.WriteAsync(context.Response, 200, updated).ConfigureAwait(false);
    }

    private async Task PatchAsync(HttpContext context, ResourcePath path)
    {
        RefuseDryRun(context.Request);
        var patch = await ReadPatchAsync(context.Request).ConfigureAwait(false);
        var patched = store.Update(path.Resource, path.Namespace, path.Name!, current => Patched(path, current, patch));
        await JsonResponse.WriteAsync(context.Response, 200, patched).ConfigureAwait(false);
    }

    /// <summary>
    /// A pod's delete answers with the pod (the real server returns it with a deletionTimestamp while the
    /// kubelet stops it); other kinds answer with a Success <c>Status</c>. Either way the object is gone at once.
    /// </summary>
    private async Task DeleteAsync(HttpContext context, ResourcePath path)
    {
        RefuseDryRun(context.Request);
        var deleted = store.Delete(path.Resource, path.Namespace, path.Name!);
        if (path.Resource == StandInResources.Pods)
        {
            deleted["metadata"]!["deletionTimestamp"] = ObjectMetadata.Timestamp(time.GetUtcNow());
            deleted["metadata"]!["deletionGracePeriodSeconds"] = 0;
            await JsonResponse.WriteAsync(context.Response, 200, deleted).ConfigureAwait(false);
            return;
        }

        var success = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Success",
            ["details"] = new JsonObject
            {
                ["name"] = path.Name,
                ["group"] = path.Resource.Group,
                ["kind"] = path.Resource.Plural,
                ["uid"] = deleted["metadata"]?["uid"]?.DeepClone(),
            },
        };
        await JsonResponse.WriteAsync(context.Response, 200, success).ConfigureAwait(false);
    }

    private async Task DeleteCollectionAsync(HttpContext context, ResourcePath path)
    {
        RefuseDryRun(context.Request);
        var deleted = store.DeleteCollection(path.Resource, path.Namespace, SelectorOf(context.Request));
        var list = new JsonObject
        {
            ["kind"] = path.Resource.ListKind,
            ["apiVersion"] = path.Resource.ApiVersion,
            ["metadata"] = new JsonObject { ["resourceVersion"] = store.ResourceVersion },
            ["items"] = new JsonArray(deleted.Select(d => (JsonNode)d).ToArray()),
        };
        await JsonResponse.WriteAsync(context.Response, 200, list).ConfigureAwait(false);
    }

    /// <summary>The patch body with its kind, from Content-Type. Server-side apply (<c>application/apply-patch+yaml</c>)
    /// is not served: kubectl uses it only with <c>--server-side</c>.</summary>
    private static async Task<(string Kind, JsonNode? Body)> ReadPatchAsync(HttpRequest request)
    {
        var kind = request.ContentType?.Split(';')[0].Trim().ToLowerInvariant() ?? "";
        if (kind is not ("application/json-patch+json" or "application/merge-patch+json" or "application/strategic-merge-patch+json"))
        {
            throw new ApiStatusException(ApiStatus.UnsupportedMediaType(request.ContentType ?? "none"));
        }

        return (kind, await JsonResponse.ReadAsync(request).ConfigureAwait(false));
    }

    private static JsonObject Patched(ResourcePath path, JsonObject current, (string Kind, JsonNode? Body) patch)
    {
        try
        {
            var result = patch.Kind switch
            {
                "application/json-patch+json" => JsonPatch.Apply(current, patch.Body as JsonArray
                    ?? throw new PatchException("a JSON patch is an array of operations")),
                "application/merge-patch+json" => MergePatch.Apply(current, patch.Body),
                _ => StrategicMergePatch.Apply(current, patch.Body),
            };
            return result as JsonObject ?? throw new PatchException("the patch does not leave an object");
        }
        catch (PatchException e)
        {
            throw new ApiStatusException(ApiStatus.Invalid(path.Resource, path.Name ?? "", e.Message));
        }
    }

    /// <summary>A dry run must not change anything; rather than pretend, the stand-in says it cannot.</summary>
    private static void RefuseDryRun(HttpRequest request)
    {
        if (request.Query.ContainsKey("dryRun"))
        {
            throw new ApiStatusException(ApiStatus.BadRequest("dryRun is not supported by the Kubernetes API stand-in"));
        }
    }
}
