using OrleansGate.IntegrationTests.Infrastructure;
using OrleansGate.IntegrationTests.Policy;
using YamlDotNet.RepresentationModel;

namespace OrleansGate.IntegrationTests.Deploy;

/// <summary>
/// The objects <c>kubectl kustomize</c> renders from a folder of deploy/kubernetes, as plain trees (maps, lists and
/// strings) read with YamlDotNet, with the look-ups the manifest tests share.
/// </summary>
public sealed class RenderedManifests
{
    private RenderedManifests(string text, IReadOnlyList<Dictionary<string, object?>> objects)
    {
        Text = text;
        Objects = objects;
    }

    /// <summary>The rendered YAML as kubectl printed it.</summary>
    public string Text { get; }

    public IReadOnlyList<Dictionary<string, object?>> Objects { get; }

    /// <summary>Runs the real <c>kubectl kustomize</c> on <paramref name="folder"/> (relative to the repository).</summary>
    public static async Task<RenderedManifests> RenderAsync(string folder)
    {
        var path = Path.Combine(PolicyFixture.RepoRoot(), folder);
        var result = await ExternalCommand.RunAsync("kubectl", ["kustomize", path], TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 0, result.ToString());
        var stream = new YamlStream();
        stream.Load(new StringReader(result.StandardOutput));
        var objects = stream.Documents.Select(d => ToTree(d.RootNode)).OfType<Dictionary<string, object?>>().ToList();
        return new RenderedManifests(result.StandardOutput, objects);
    }

    public IEnumerable<Dictionary<string, object?>> OfKind(string kind) => Objects.Where(o => Str(o, "kind") == kind);

    /// <summary>The one object of this kind whose name is <paramref name="name"/> (or starts with it and a dash, for generated ConfigMaps).</summary>
    public Dictionary<string, object?> Single(string kind, string name)
    {
        var matches = OfKind(kind).Where(o => Name(o) == name || (kind == "ConfigMap" && Name(o).StartsWith(name + "-", StringComparison.Ordinal))).ToList();
        Assert.True(matches.Count == 1, $"expected one {kind} {name}, found {matches.Count}; rendered: {string.Join(", ", Objects.Select(o => Str(o, "kind") + "/" + Name(o)))}");
        return matches[0];
    }

    /// <summary>The pod template's spec of a workload (Deployment, StatefulSet, Job).</summary>
    public static Dictionary<string, object?> PodSpec(Dictionary<string, object?> workload) => Map(workload, "spec", "template", "spec");

    public static Dictionary<string, object?> PodLabels(Dictionary<string, object?> workload) => Map(workload, "spec", "template", "metadata", "labels");

    public static IEnumerable<Dictionary<string, object?>> Containers(Dictionary<string, object?> workload) =>
        List(PodSpec(workload), "containers").Cast<Dictionary<string, object?>>();

    public static string Name(Dictionary<string, object?> o) => Str(Map(o, "metadata"), "name") ?? "";

    public static Dictionary<string, object?> Map(Dictionary<string, object?> o, params string[] path)
    {
        var node = o;
        foreach (var key in path)
        {
            Assert.True(node.TryGetValue(key, out var next) && next is Dictionary<string, object?>, $"no map at '{string.Join('.', path)}' (missing '{key}')");
            node = (Dictionary<string, object?>)next!;
        }

        return node;
    }

    public static IReadOnlyList<object?> List(Dictionary<string, object?> o, string key) =>
        o.TryGetValue(key, out var value) && value is List<object?> list ? list : [];

    public static string? Str(Dictionary<string, object?> o, string key) => o.TryGetValue(key, out var value) ? value as string : null;

    /// <summary>Whether every label of <paramref name="selector"/> is on <paramref name="labels"/> with the same value.</summary>
    public static bool Selects(Dictionary<string, object?> selector, Dictionary<string, object?> labels) =>
        selector.Count > 0 && selector.All(s => labels.TryGetValue(s.Key, out var v) && Equals(v, s.Value));

    private static object? ToTree(YamlNode node) => node switch
    {
        YamlMappingNode map => map.Children.ToDictionary(c => ((YamlScalarNode)c.Key).Value ?? "", c => ToTree(c.Value)),
        YamlSequenceNode seq => seq.Children.Select(ToTree).ToList(),
        YamlScalarNode scalar => scalar.Value,
        _ => null,
    };
}
