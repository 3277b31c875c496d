using OrleansGate.Kubernetes.Masking;
using static OrleansGate.Kubernetes.Tests.Masking.MaskingHarness;

namespace OrleansGate.Kubernetes.Tests.Masking;

/// <summary>The path and kind syntax of <see cref="KubernetesMaskRules"/>.</summary>
public sealed class MaskRulesTests
{
    [Theory]
    [InlineData("data.password")]
    [InlineData("data.*")]
    [InlineData("spec.containers[*].env[*].value")]
    [InlineData("spec.matrix[*][*]")]
    [InlineData(@"data.app\.properties")]
    [InlineData(@"metadata.annotations.a\*b")]
    [InlineData("*")]
    public void Valid_path_is_accepted(string path) => KubernetesMaskRules.Default.WithPaths("ConfigMap", path);

    [Theory]
    [InlineData("")]
    [InlineData("data..password")]
    [InlineData(".data")]
    [InlineData("data.")]
    [InlineData("spec.containers[0].image")]
    [InlineData("spec.containers[*]x")]
    [InlineData("[*]")]
    [InlineData("data.pass*")]
    [InlineData("data]")]
    [InlineData(@"data\")]
    public void Invalid_path_is_refused(string path) =>
        Assert.ThrowsAny<ArgumentException>(() => KubernetesMaskRules.Default.WithPaths("ConfigMap", path));

    [Theory]
    [InlineData("")]
    [InlineData("/Pod")]
    [InlineData("apps/")]
    [InlineData("a/b/Pod")]
    [InlineData("Pod ")]
    public void Invalid_kind_is_refused(string kind) =>
        Assert.ThrowsAny<ArgumentException>(() => KubernetesMaskRules.Default.WithPaths(kind, "data.x"));

    [Fact]
    public async Task Escaped_dot_names_one_key_holding_a_dot()
    {
        var rules = KubernetesMaskRules.Default.WithPaths("ConfigMap", @"data.app\.properties");
        const string configMap = """{"kind":"ConfigMap","data":{"app.properties":"pw=1","app":{"properties":"kept"}}}""";

        var run = (await MaskAsync(configMap, rules)).Succeeded();

        Assert.Equal(configMap.Replace("\"pw=1\"", MaskedText), run.Output);
    }

    [Fact]
    public async Task Path_naming_an_object_masks_it_whole()
    {
        var rules = KubernetesMaskRules.Default.WithPaths("ConfigMap", "data");
        const string configMap = """{"kind":"ConfigMap","data":{"a":"1","b":[2]},"immutable":true}""";

        var run = (await MaskAsync(configMap, rules)).Succeeded();

        Assert.Equal("""{"kind":"ConfigMap","data":"***MASKED***","immutable":true}""", run.Output);
    }

    [Fact]
    public async Task Configured_secret_data_path_uses_the_base64_placeholder_when_default_masking_is_off()
    {
        var rules = KubernetesMaskRules.Default.WithSecretValuesMasked(false).WithPaths("Secret", "data.password");
        const string secret = """{"kind":"Secret","data":{"password":"c2VjcmV0","user":"YWRtaW4="}}""";

        var run = (await MaskAsync(secret, rules)).Succeeded();

        Assert.Equal(secret.Replace("\"c2VjcmV0\"", MaskedData), run.Output);
    }

    [Fact]
    public void Rules_are_immutable()
    {
        var rules = KubernetesMaskRules.Default;

        _ = rules.WithPaths("ConfigMap", "data.*").WithSecretValuesMasked(false);

        Assert.True(rules.MaskSecretValues);
        Assert.Same(KubernetesMaskRules.Default, rules);
    }
}
