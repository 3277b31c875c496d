using System.Text;
using System.Text.Json.Nodes;

namespace OrleansGate.KubernetesApiStandIn.Store;

/// <summary>
/// What the real server, its controllers and the kubelet would have done to an object by the time a client
/// reads it back. There is no scheduler and no controller here, so a pod is Running and its containers
/// ready as soon as it is written, and a deployment is at once fully rolled out.
/// </summary>
internal static class ObjectDefaults
{
    public static void Apply(StandInResource resource, JsonObject obj, DateTimeOffset now)
    {
        switch (resource.Plural)
        {
            case "secrets":
                MoveStringData(obj);
                break;
            case "pods":
                RunPod(obj, now);
                break;
            case "deployments":
                RollOutDeployment(obj);
                break;
            case "namespaces":
                obj["status"] ??= new JsonObject { ["phase"] = "Active" };
                break;
            case "services":
                var spec = obj["spec"] as JsonObject ?? new JsonObject();
                obj["spec"] = spec;
                spec["type"] ??= "ClusterIP";
                spec["clusterIP"] ??= "10.96.0.10";
                break;
        }
    }

    /// <summary>Like the real server, <c>stringData</c> is write-only: merged into <c>data</c> as base64 and dropped.</summary>
    private static void MoveStringData(JsonObject secret)
    {
        secret["type"] ??= "Opaque";
        if (secret["stringData"] is not JsonObject stringData)
        {
            secret.Remove("stringData");
            return;
        }

        var data = secret["data"] as JsonObject ?? new JsonObject();
        foreach (var (key, value) in stringData)
        {
            data[key] = Convert.ToBase64String(Encoding.UTF8.GetBytes(value?.GetValue<string>() ?? ""));
        }

        secret["data"] = data;
        secret.Remove("stringData");
    }

    private static void RunPod(JsonObject pod, DateTimeOffset now)
    {
        if (pod["status"]?["phase"] is not null)
        {
            return;
        }

        var started = ObjectMetadata.Timestamp(now);
        var containers = new JsonArray();
        foreach (var container in (pod["spec"]?["containers"] as JsonArray ?? []).OfType<JsonObject>())
        {
            containers.Add(new JsonObject
            {
                ["name"] = container["name"]?.DeepClone(),
                ["image"] = container["image"]?.DeepClone(),
                ["ready"] = true,
                ["started"] = true,
                ["restartCount"] = 0,
                ["state"] = new JsonObject { ["running"] = new JsonObject { ["startedAt"] = started } },
            });
        }

        pod["status"] = new JsonObject
        {
            ["phase"] = "Running",
            ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = "True" }),
            ["hostIP"] = "127.0.0.1",
            ["podIP"] = "10.244.0.10",
            ["startTime"] = started,
            ["containerStatuses"] = containers,
        };
    }

    private static void RollOutDeployment(JsonObject deployment)
    {
        var spec = deployment["spec"] as JsonObject ?? new JsonObject();
        deployment["spec"] = spec;
        spec["replicas"] ??= 1;
        var replicas = JsonValues.Integer(spec["replicas"]) ?? 1;
        deployment["status"] = new JsonObject
        {
            ["observedGeneration"] = deployment["metadata"]?["generation"]?.DeepClone(),
            ["replicas"] = replicas,
            ["updatedReplicas"] = replicas,
            ["readyReplicas"] = replicas,
            ["availableReplicas"] = replicas,
            ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Available", ["status"] = "True", ["reason"] = "MinimumReplicasAvailable" }),
        };
    }
}
