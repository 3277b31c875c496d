using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace OrleansGate.KubernetesApiStandIn.Endpoints;

internal sealed partial class ResourceEndpoints
{
    /// <summary><c>…/status</c>: the whole object on GET; PUT and PATCH change its <c>status</c> and nothing else.</summary>
    public async Task StatusAsync(HttpContext context, ResourcePath path)
    {
        var name = path.Name!;
        JsonObject result;
        switch (context.Request.Method)
        {
            case "GET":
                result = store.Get(path.Resource, path.Namespace, name);
                break;
            case "PUT":
                var body = await JsonResponse.ReadObjectAsync(context.Request).ConfigureAwait(false);
                result = store.Update(path.Resource, path.Namespace, name, current => WithStatusOf(current, body));
                break;
            case "PATCH":
                var patch = await ReadPatchAsync(context.Request).ConfigureAwait(false);
                result = store.Update(path.Resource, path.Namespace, name,
                    current => WithStatusOf(current, Patched(path, (JsonObject)current.DeepClone(), patch)));
                break;
            default:
                throw new ApiStatusException(ApiStatus.MethodNotAllowed(context.Request.Method));
        }

        await JsonResponse.WriteAsync(context.Response, 200, result).ConfigureAwait(false);
    }

    /// <summary><c>deployments/{name}/scale</c>: an <c>autoscaling/v1 Scale</c> view of <c>spec.replicas</c>,
    /// which is what <c>kubectl scale</c> patches.</summary>
    public async Task ScaleAsync(HttpContext context, ResourcePath path)
    {
        var name = path.Name!;
        JsonObject deployment;
        switch (context.Request.Method)
        {
            case "GET":
                deployment = store.Get(path.Resource, path.Namespace, name);
                break;
            case "PUT":
                var body = await JsonResponse.ReadObjectAsync(context.Request).ConfigureAwait(false);
                deployment = store.Update(path.Resource, path.Namespace, name, current => WithReplicasOf(current, body));
                break;
            case "PATCH":
                var patch = await ReadPatchAsync(context.Request).ConfigureAwait(false);
                deployment = store.Update(path.Resource, path.Namespace, name,
                    current => WithReplicasOf(current, Patched(path, ScaleOf(current), patch)));
                break;
            default:
                throw new ApiStatusException(ApiStatus.MethodNotAllowed(context.Request.Method));
        }

        await JsonResponse.WriteAsync(context.Response, 200, ScaleOf(deployment)).ConfigureAwait(false);
    }

    private static JsonObject WithStatusOf(JsonObject current, JsonObject source)
    {
        current["status"] = source["status"]?.DeepClone();
        if (source["metadata"]?["resourceVersion"] is { } version)
        {
            current["metadata"]!["resourceVersion"] = version.DeepClone();
        }

        return current;
    }

    private static JsonObject WithReplicasOf(JsonObject deployment, JsonObject scale)
    {
        deployment["spec"]!["replicas"] = scale["spec"]?["replicas"]?.DeepClone()
            ?? throw new ApiStatusException(ApiStatus.BadRequest("Scale.spec.replicas is required"));
        return deployment;
    }

    private static JsonObject ScaleOf(JsonObject deployment)
    {
        var metadata = deployment["metadata"]!;
        var matchLabels = deployment["spec"]?["selector"]?["matchLabels"] as JsonObject ?? [];
        return new JsonObject
        {
            ["kind"] = "Scale",
            ["apiVersion"] = "autoscaling/v1",
            ["metadata"] = new JsonObject
            {
                ["name"] = metadata["name"]?.DeepClone(),
                ["namespace"] = metadata["namespace"]?.DeepClone(),
                ["uid"] = metadata["uid"]?.DeepClone(),
                ["resourceVersion"] = metadata["resourceVersion"]?.DeepClone(),
                ["creationTimestamp"] = metadata["creationTimestamp"]?.DeepClone(),
            },
            ["spec"] = new JsonObject { ["replicas"] = deployment["spec"]?["replicas"]?.DeepClone() },
            ["status"] = new JsonObject
            {
                ["replicas"] = deployment["status"]?["replicas"]?.DeepClone(),
                ["selector"] = string.Join(',', matchLabels.Select(l => $"{l.Key}={l.Value}")),
            },
        };
    }
}
