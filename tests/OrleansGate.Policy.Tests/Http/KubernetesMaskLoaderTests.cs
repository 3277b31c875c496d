using OrleansGate.Policy.Loading;

namespace OrleansGate.Policy.Tests.Http;

public sealed class KubernetesMaskLoaderTests
{
    private const string Rules = "rules: []\n";

    private const string Syntax =
        "(keys separated by '.', '*' for any key, '[*]' for every array element, '\\' before . [ ] * \\ in a key: data.password, spec.containers[*].env[*].value, data.app\\.properties)";

    [Fact]
    public void Kubernetes_masks_load_with_kind_and_paths_as_written()
    {
        var policy = PolicyLoader.Load(
            Rules + """
            kubernetes_masks:
              - kind: ConfigMap
                paths: [data.password, data.app\.properties, "metadata.annotations.example\\.com/token", data.*]
              - kind: apps/Deployment
                paths: "spec.template.spec.containers[*].env[*].value"
              - kind: core/Secret
                paths: ["*", "a[*][*]", "*.b"]
            """,
            "p.yaml");

        Assert.Equal(["ConfigMap", "apps/Deployment", "core/Secret"], policy.KubernetesMasks.Select(m => m.Kind));
        var configMap = policy.KubernetesMasks[0];
        Assert.Equal(3, configMap.Line);
        Assert.Equal(["data.password", @"data.app\.properties", @"metadata.annotations.example\.com/token", "data.*"], configMap.Paths);
        Assert.Equal(["spec.template.spec.containers[*].env[*].value"], policy.KubernetesMasks[1].Paths);
        Assert.Equal(["*", "a[*][*]", "*.b"], policy.KubernetesMasks[2].Paths);
    }

    [Fact]
    public void A_policy_without_kubernetes_masks_has_none()
    {
        Assert.Empty(PolicyLoader.Load(Rules, "p.yaml").KubernetesMasks);
    }

    [Theory]
    [InlineData("data..y", 5, "empty key")]
    [InlineData(".data", 0, "empty key")]
    [InlineData("data.", 4, "expected '.' between keys, or '[*]' (no other index is supported)")]
    [InlineData("data[0]", 4, "expected '.' between keys, or '[*]' (no other index is supported)")]
    [InlineData("data[*]x", 7, "expected '.' between keys, or '[*]' (no other index is supported)")]
    [InlineData("data.a*b", 6, "'*' inside a key must be escaped as '\\*'")]
    [InlineData("data.pass*", 9, "'*' inside a key must be escaped as '\\*'")]
    [InlineData("data.a]", 6, "']' inside a key must be escaped as '\\]'")]
    [InlineData("data.a\\", 7, "'\\' at the end escapes nothing")]
    [InlineData("data.a\\\\*", 8, "'*' inside a key must be escaped as '\\*'")]
    [InlineData("", 0, "empty key")]
    public void A_path_the_masker_could_not_read_is_refused_with_its_position(string path, int position, string reason)
    {
        var e = Assert.Throws<PolicyLoadException>(() => PolicyLoader.Load(
            Rules + "kubernetes_masks:\n  - kind: ConfigMap\n    paths:\n      - data.x\n      - '" + path + "'\n", "bad.yaml"));

        Assert.Equal($"bad.yaml:6: path '{path}' at character {position}: {reason} {Syntax}", e.Message);
    }

    [Theory]
    [InlineData("configmaps")]
    [InlineData("Config-Map")]
    [InlineData("/ConfigMap")]
    [InlineData("apps/")]
    [InlineData("Apps/Deployment")]
    [InlineData("a/b/Deployment")]
    public void A_kind_that_is_not_as_objects_write_it_is_refused(string kind)
    {
        var e = Assert.Throws<PolicyLoadException>(() => PolicyLoader.Load(Rules + $"kubernetes_masks:\n  - kind: '{kind}'\n    paths: [data.x]\n", "bad.yaml"));

        Assert.Equal($"bad.yaml:3: kind '{kind}' must be Kind, group/Kind or core/Kind, the kind as objects write it (ConfigMap, apps/Deployment), not the resource name (configmaps)", e.Message);
    }

    [Theory]
    [InlineData("kubernetes_masks: {}\n", 2, "'kubernetes_masks' must be a list")]
    [InlineData("kubernetes_masks:\n  - ConfigMap\n", 3, "each kubernetes_masks entry must be a mapping (kind, paths)")]
    [InlineData("kubernetes_masks:\n  - paths: [data.x]\n", 3, "kubernetes_masks entry needs a 'kind' (such as ConfigMap)")]
    [InlineData("kubernetes_masks:\n  - kind: ConfigMap\n", 3, "kubernetes_masks entry for ConfigMap needs 'paths' (such as [data.password])")]
    [InlineData("kubernetes_masks:\n  - kind: ConfigMap\n    paths: []\n", 3, "kubernetes_masks entry for ConfigMap needs 'paths' (such as [data.password])")]
    [InlineData("kubernetes_masks:\n  - kind: ConfigMap\n    path: [data.x]\n", 4, "unknown kubernetes_masks key 'path' (expected kind, paths)")]
    [InlineData("kubernetes_masks:\n  - kind: ConfigMap\n    paths: { data: x }\n", 4, "'paths' must be a value or a list of values")]
    [InlineData("kubernetes_masks:\n  - kind: ConfigMap\n    paths: [data.x]\n  - kind: ConfigMap\n    paths: [data.y]\n", 5, "kind 'ConfigMap' is given twice in kubernetes_masks; list its paths in one entry")]
    [InlineData("kubernetes_mask:\n  - kind: ConfigMap\n", 2, "unknown key 'kubernetes_mask' (expected version, targets, rules, guardrails, masks, limits, kubernetes_masks)")]
    public void Invalid_kubernetes_mask_error_names_file_line_and_problem(string yaml, int line, string problem)
    {
        var e = Assert.Throws<PolicyLoadException>(() => PolicyLoader.Load(Rules + yaml, "bad.yaml"));

        Assert.Equal($"bad.yaml:{line}: {problem}", e.Message);
    }
}
