using System.Text;
using System.Text.Json.Nodes;

namespace OrleansGate.KubernetesApiStandIn;

/// <summary>Small well-formed objects for tests to seed the stand-in with.</summary>
public static class StandInObjects
{
    public static JsonObject Pod(string name, string ns = "default", string container = "main", string image = "registry.invalid/stand-in:1") => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Pod",
        ["metadata"] = Metadata(name, ns, new JsonObject { ["app"] = name }),
        ["spec"] = new JsonObject
        {
            ["containers"] = new JsonArray(new JsonObject { ["name"] = container, ["image"] = image }),
        },
    };

    /// <summary>A secret holding <paramref name="values"/> base64-encoded in <c>data</c>, as the server stores them.</summary>
    public static JsonObject Secret(string name, IReadOnlyDictionary<string, string> values, string ns = "default") => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Secret",
        ["metadata"] = Metadata(name, ns),
        ["type"] = "Opaque",
        ["data"] = new JsonObject(values.Select(v =>
            KeyValuePair.Create(v.Key, (JsonNode?)Convert.ToBase64String(Encoding.UTF8.GetBytes(v.Value))))),
    };

    public static JsonObject ConfigMap(string name, IReadOnlyDictionary<string, string> data, string ns = "default") => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "ConfigMap",
        ["metadata"] = Metadata(name, ns),
        ["data"] = new JsonObject(data.Select(d => KeyValuePair.Create(d.Key, (JsonNode?)d.Value))),
    };

    public static JsonObject Deployment(string name, int replicas = 1, string ns = "default", string image = "registry.invalid/stand-in:1") => new()
    {
        ["apiVersion"] = "apps/v1",
        ["kind"] = "Deployment",
        ["metadata"] = Metadata(name, ns),
        ["spec"] = new JsonObject
        {
            ["replicas"] = replicas,
            ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = name } },
            ["template"] = new JsonObject
            {
                ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["app"] = name } },
                ["spec"] = new JsonObject
                {
                    ["containers"] = new JsonArray(new JsonObject { ["name"] = "main", ["image"] = image }),
                },
            },
        },
    };

    private static JsonObject Metadata(string name, string ns, JsonObject? labels = null)
    {
        var metadata = new JsonObject { ["name"] = name, ["namespace"] = ns };
        if (labels is not null)
        {
            metadata["labels"] = labels;
        }

        return metadata;
    }
}
