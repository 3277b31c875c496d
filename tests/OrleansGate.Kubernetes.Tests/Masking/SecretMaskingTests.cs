using OrleansGate.Kubernetes.Masking;
using static OrleansGate.Kubernetes.Tests.Masking.MaskingHarness;

namespace OrleansGate.Kubernetes.Tests.Masking;

/// <summary>A single Secret, as <c>kubectl get secret db -o json</c> receives it.</summary>
public sealed class SecretMaskingTests
{
    private const string Password = "\"c2VjcmV0LXBhc3N3b3Jk\"";
    private const string User = "\"YWRtaW4=\"";

    private const string TypedSecret =
        """{"kind":"Secret","apiVersion":"v1","metadata":{"name":"db","namespace":"prod","uid":"7c1e","resourceVersion":"42"},"data":{"password":"c2VjcmV0LXBhc3N3b3Jk","user":"YWRtaW4="},"type":"Opaque"}""";

    [Fact]
    public async Task Secret_get_values_are_masked_keys_kept_and_other_fields_unchanged()
    {
        var run = (await MaskAsync(TypedSecret)).Succeeded();

        Assert.Equal(TypedSecret.Replace(Password, MaskedData).Replace(User, MaskedData), run.Output);
        Assert.Contains("\"password\":" + MaskedData, run.Output);
        Assert.Equal(new KubernetesMaskResult(1, 2), run.Result);
    }

    [Fact]
    public async Task Secret_with_kind_after_data_is_still_masked()
    {
        // Unstructured objects are written with sorted keys: data comes before kind.
        const string sorted = """{"apiVersion":"v1","data":{"password":"c2VjcmV0LXBhc3N3b3Jk"},"kind":"Secret","metadata":{"name":"db"}}""";

        var run = (await MaskAsync(sorted)).Succeeded();

        Assert.Equal(sorted.Replace(Password, MaskedData), run.Output);
    }

    [Fact]
    public async Task Secret_stringData_values_are_masked_with_the_text_placeholder()
    {
        const string secret = """{"kind":"Secret","apiVersion":"v1","metadata":{"name":"db"},"stringData":{"token":"plain-token","n":7}}""";

        var run = (await MaskAsync(secret)).Succeeded();

        Assert.Equal(
            """{"kind":"Secret","apiVersion":"v1","metadata":{"name":"db"},"stringData":{"token":"***MASKED***","n":"***MASKED***"}}""",
            run.Output);
        Assert.Equal(2, run.Result.ValuesMasked);
    }

    [Fact]
    public void Secret_data_placeholder_decodes_to_the_text_placeholder() =>
        Assert.Equal(MaskPlaceholder.Text, System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(MaskPlaceholder.Base64)));

    [Fact]
    public async Task Secret_last_applied_annotation_which_holds_the_values_is_masked()
    {
        const string secret =
            """{"kind":"Secret","apiVersion":"v1","metadata":{"name":"db","annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"data\":{\"password\":\"c2VjcmV0LXBhc3N3b3Jk\"}}\n","team":"a"}},"data":{"password":"c2VjcmV0LXBhc3N3b3Jk"}}""";

        var run = (await MaskAsync(secret)).Succeeded();

        Assert.DoesNotContain("c2VjcmV0LXBhc3N3b3Jk", run.Output);
        Assert.Contains("\"kubectl.kubernetes.io/last-applied-configuration\":" + MaskedText + ",\"team\":\"a\"", run.Output);
    }

    [Fact]
    public async Task Secret_property_names_written_with_escapes_are_still_masked()
    {
        const string escaped = """{"ki\u006ed":"Secr\u0065t","d\u0061ta":{"password":"c2VjcmV0LXBhc3N3b3Jk"}}""";

        var run = (await MaskAsync(escaped)).Succeeded();

        Assert.Equal(escaped.Replace(Password, MaskedData), run.Output);
    }

    [Fact]
    public async Task Secret_values_pass_when_a_policy_turns_secret_masking_off()
    {
        var run = (await MaskAsync(TypedSecret, KubernetesMaskRules.Default.WithSecretValuesMasked(false))).Succeeded();

        Assert.Equal(TypedSecret, run.Output);
        Assert.Equal(new KubernetesMaskResult(1, 0), run.Result);
    }

    [Fact]
    public async Task Object_without_kind_is_masked_as_a_secret()
    {
        const string kindless = """{"metadata":{"name":"db"},"data":{"password":"c2VjcmV0LXBhc3N3b3Jk"}}""";

        var run = (await MaskAsync(kindless)).Succeeded();

        Assert.Equal(kindless.Replace(Password, MaskedData), run.Output);
    }

    [Fact]
    public async Task Object_with_two_kinds_is_refused_and_nothing_is_written()
    {
        // Readers disagree on which duplicate wins: a ConfigMap to one could be a Secret to the agent's client.
        const string twoKinds = """{"kind":"ConfigMap","data":{"password":"c2VjcmV0LXBhc3N3b3Jk"},"kind":"Secret"}""";

        var run = (await MaskAsync(twoKinds)).Failed(KubernetesMaskingError.UnmaskableShape);

        Assert.Equal("", run.Output);
    }

    [Fact]
    public async Task ConfigMap_data_is_not_masked_without_a_configured_path()
    {
        const string configMap = """{"kind":"ConfigMap","apiVersion":"v1","data":{"password":"c2VjcmV0LXBhc3N3b3Jk"}}""";

        var run = (await MaskAsync(configMap)).Succeeded();

        Assert.Equal(configMap, run.Output);
        Assert.Equal(new KubernetesMaskResult(1, 0), run.Result);
    }
}
