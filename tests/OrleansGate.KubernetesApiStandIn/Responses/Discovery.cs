using System.Text.Json.Nodes;

namespace OrleansGate.KubernetesApiStandIn.Responses;

/// <summary>
/// The legacy (unaggregated) discovery documents: <c>/version</c>, <c>/api</c>, <c>/api/v1</c>, <c>/apis</c>,
/// <c>/apis/{group}</c>, <c>/apis/{group}/{version}</c>. A client asking <c>/api</c> or <c>/apis</c> for the
/// aggregated form (<c>Accept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,…</c>) gets
/// these plain documents with <c>Content-Type: application/json</c>; client-go (kubectl 1.32 included) sees the
/// content type and falls back to fetching each group version, as it does against servers before 1.26.
/// </summary>
internal static class Discovery
{
    /// <summary>The version kubectl's skew check compares with; the build metadata names the stand-in.</summary>
    public const string GitVersion = "v1.32.0+orleansgate-standin";

    public static JsonObject? Find(string path, string serverAddress) => path.TrimEnd('/') switch
    {
        "/version" => Version(),
        "/api" => CoreVersions(serverAddress),
        "/api/v1" => ResourceList("", "v1"),
        "/apis" => GroupList(),
        var p when p.StartsWith("/apis/", StringComparison.Ordinal) => NamedGroup(p["/apis/".Length..].Split('/')),
        _ => null,
    };

    private static JsonObject Version() => new()
    {
        ["major"] = "1",
        ["minor"] = "32",
        ["gitVersion"] = GitVersion,
        ["gitCommit"] = "0000000000000000000000000000000000000000",
        ["gitTreeState"] = "clean",
        ["buildDate"] = "2025-01-01T00:00:00Z",
        ["goVersion"] = "go1.23.4",
        ["compiler"] = "gc",
        ["platform"] = "linux/amd64",
    };

    private static JsonObject CoreVersions(string serverAddress) => new()
    {
        ["kind"] = "APIVersions",
        ["versions"] = new JsonArray("v1"),
        ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject
        {
            ["clientCIDR"] = "0.0.0.0/0",
            ["serverAddress"] = serverAddress,
        }),
    };

    private static JsonObject GroupList() => new()
    {
        ["kind"] = "APIGroupList",
        ["apiVersion"] = "v1",
        ["groups"] = new JsonArray(StandInResources.NamedGroupVersions()
            .GroupBy(gv => gv.Group)
            .Select(g => (JsonNode)Group(g.Key, g.Select(gv => gv.Version).ToList()))
            .ToArray()),
    };

    private static JsonObject? NamedGroup(string[] groupAndVersion)
    {
        var versions = StandInResources.NamedGroupVersions()
            .Where(gv => gv.Group == groupAndVersion[0]).Select(gv => gv.Version).ToList();
        return (groupAndVersion.Length, versions.Count) switch
        {
            (_, 0) => null,
            (1, _) => Group(groupAndVersion[0], versions),
            (2, _) when versions.Contains(groupAndVersion[1]) => ResourceList(groupAndVersion[0], groupAndVersion[1]),
            _ => null,
        };
    }

    private static JsonObject Group(string name, List<string> versions)
    {
        var list = versions.Select(v => (JsonNode)GroupVersion(name, v)).ToArray();
        return new JsonObject
        {
            ["kind"] = "APIGroup",
            ["apiVersion"] = "v1",
            ["name"] = name,
            ["versions"] = new JsonArray(list),
            ["preferredVersion"] = GroupVersion(name, versions[0]),
        };
    }

    private static JsonObject GroupVersion(string group, string version) => new()
    {
        ["groupVersion"] = $"{group}/{version}",
        ["version"] = version,
    };

    private static JsonObject ResourceList(string group, string version)
    {
        var resources = new JsonArray();
        foreach (var resource in StandInResources.InGroupVersion(group, version))
        {
            resources.Add(new JsonObject
            {
                ["name"] = resource.Plural,
                ["singularName"] = resource.Singular,
                ["namespaced"] = resource.Namespaced,
                ["kind"] = resource.Kind,
                ["verbs"] = new JsonArray(StandInResource.CrudVerbs.Select(v => (JsonNode)v).ToArray()),
                ["shortNames"] = new JsonArray(resource.ShortNames.Select(v => (JsonNode)v).ToArray()),
                ["categories"] = new JsonArray((resource.Categories ?? []).Select(v => (JsonNode)v).ToArray()),
            });
            foreach (var sub in resource.Subresources)
            {
                var entry = new JsonObject
                {
                    ["name"] = $"{resource.Plural}/{sub.Name}",
                    ["singularName"] = "",
                    ["namespaced"] = resource.Namespaced,
                };
                if (sub.Group is not null)
                {
                    entry["group"] = sub.Group;
                    entry["version"] = sub.Version;
                }

                entry["kind"] = sub.Kind;
                entry["verbs"] = new JsonArray(sub.Verbs.Select(v => (JsonNode)v).ToArray());
                resources.Add(entry);
            }
        }

        return new JsonObject
        {
            ["kind"] = "APIResourceList",
            ["apiVersion"] = "v1",
            ["groupVersion"] = group.Length == 0 ? version : $"{group}/{version}",
            ["resources"] = resources,
        };
    }
}
