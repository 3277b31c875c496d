using OrleansGate.Kubernetes.Masking;
using static OrleansGate.Kubernetes.Tests.Masking.MaskingHarness;

namespace OrleansGate.Kubernetes.Tests.Masking;

/// <summary>Lists: typed (items without kind), mixed <c>List</c>, unstructured (sorted keys), and configured paths.</summary>
public sealed class ListMaskingTests
{
    private const string Value = "\"c2VjcmV0\"";

    [Fact]
    public async Task SecretList_items_without_kind_are_masked_by_the_list_kind()
    {
        const string list =
            """{"kind":"SecretList","apiVersion":"v1","metadata":{"resourceVersion":"9"},"items":[{"metadata":{"name":"a"},"data":{"k":"c2VjcmV0"},"type":"Opaque"},{"metadata":{"name":"b"},"data":{"k":"c2VjcmV0","l":"c2VjcmV0"}}]}""";

        var run = (await MaskAsync(list)).Succeeded();

        Assert.Equal(list.Replace(Value, MaskedData), run.Output);
        Assert.Equal(new KubernetesMaskResult(2, 3), run.Result);
    }

    [Fact]
    public async Task Mixed_List_items_are_masked_by_their_own_kind()
    {
        const string secret = """{"kind":"Secret","apiVersion":"v1","metadata":{"name":"s"},"data":{"k":"c2VjcmV0"}}""";
        const string configMap = """{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"c"},"data":{"k":"c2VjcmV0"}}""";
        var list = $$"""{"kind":"List","apiVersion":"v1","metadata":{},"items":[{{secret}},{{configMap}},{{secret}}]}""";

        var run = (await MaskAsync(list)).Succeeded();

        var masked = secret.Replace(Value, MaskedData);
        Assert.Equal($$"""{"kind":"List","apiVersion":"v1","metadata":{},"items":[{{masked}},{{configMap}},{{masked}}]}""", run.Output);
        Assert.Equal(new KubernetesMaskResult(3, 2), run.Result);
    }

    [Fact]
    public async Task ConfigMap_configured_path_is_masked_and_other_keys_are_not()
    {
        var rules = KubernetesMaskRules.Default.WithPaths("ConfigMap", "data.password");
        const string list =
            """{"kind":"ConfigMapList","apiVersion":"v1","metadata":{},"items":[{"metadata":{"name":"c"},"data":{"password":"hunter2","host":"db.local","nested":{"password":"kept"}}}]}""";

        var run = (await MaskAsync(list, rules)).Succeeded();

        Assert.Equal(list.Replace("\"hunter2\"", MaskedText), run.Output);
        Assert.Equal(1, run.Result.ValuesMasked);
    }

    [Fact]
    public async Task ConfigMap_any_key_path_masks_every_value_keeps_keys_and_replaces_non_strings()
    {
        var rules = KubernetesMaskRules.Default.WithPaths("ConfigMap", "data.*");
        const string configMap = """{"kind":"ConfigMap","apiVersion":"v1","data":{"a":"x","b":12,"c":{"d":[1]},"e":null},"binaryData":{"f":"AA=="}}""";

        var run = (await MaskAsync(configMap, rules)).Succeeded();

        Assert.Equal(
            """{"kind":"ConfigMap","apiVersion":"v1","data":{"a":"***MASKED***","b":"***MASKED***","c":"***MASKED***","e":"***MASKED***"},"binaryData":{"f":"AA=="}}""",
            run.Output);
    }

    [Fact]
    public async Task Pod_env_values_are_masked_through_array_wildcards_and_valueFrom_is_kept()
    {
        var rules = KubernetesMaskRules.Default.WithPaths("Pod", "spec.containers[*].env[*].value");
        const string list =
            """{"kind":"PodList","apiVersion":"v1","metadata":{},"items":[{"metadata":{"name":"p"},"spec":{"containers":[{"name":"app","env":[{"name":"A","value":"one"},{"name":"B","valueFrom":{"secretKeyRef":{"name":"s","key":"k"}}}]},{"name":"side","env":[{"name":"C","value":"two"}]}],"initContainers":[{"name":"init","env":[{"name":"D","value":"three"}]}]}}]}""";

        var run = (await MaskAsync(list, rules)).Succeeded();

        Assert.Equal(list.Replace("\"one\"", MaskedText).Replace("\"two\"", MaskedText), run.Output);
        Assert.Contains("\"value\":\"three\"", run.Output);
    }

    [Fact]
    public async Task Unstructured_list_with_items_before_kind_is_masked_by_each_item_kind()
    {
        // Custom resources are served as unstructured: keys sorted, items before kind, each item with its own kind.
        const string list =
            """{"apiVersion":"v1","items":[{"apiVersion":"v1","data":{"k":"c2VjcmV0"},"kind":"Secret","metadata":{"name":"a"}}],"kind":"List","metadata":{"resourceVersion":""}}""";

        var run = (await MaskAsync(list)).Succeeded();

        Assert.Equal(list.Replace(Value, MaskedData), run.Output);
    }

    [Fact]
    public async Task Item_without_kind_before_the_list_kind_is_refused_and_its_value_never_written()
    {
        const string list = """{"apiVersion":"v1","items":[{"data":{"k":"c2VjcmV0"},"metadata":{"name":"a"}}],"kind":"SecretList"}""";

        var run = (await MaskAsync(list)).Failed(KubernetesMaskingError.UnmaskableShape);

        Assert.DoesNotContain("c2VjcmV0", run.Output);
    }

    [Fact]
    public async Task Group_qualified_path_applies_to_that_group_only()
    {
        var rules = KubernetesMaskRules.Default.WithPaths("apps/Deployment", "spec.template.metadata.annotations.token");
        const string apps =
            """{"kind":"DeploymentList","apiVersion":"apps/v1","items":[{"metadata":{"name":"d"},"spec":{"template":{"metadata":{"annotations":{"token":"t1"}}}}}]}""";
        const string other =
            """{"kind":"DeploymentList","apiVersion":"example.com/v1","items":[{"metadata":{"name":"d"},"spec":{"template":{"metadata":{"annotations":{"token":"t1"}}}}}]}""";

        var appsRun = (await MaskAsync(apps, rules)).Succeeded();
        var otherRun = (await MaskAsync(other, rules)).Succeeded();

        Assert.Equal(apps.Replace("\"t1\"", MaskedText), appsRun.Output);
        Assert.Equal(other, otherRun.Output);
    }

    [Fact]
    public async Task Core_group_path_does_not_apply_to_a_custom_kind_of_the_same_name()
    {
        var rules = KubernetesMaskRules.Default.WithPaths("core/Pod", "spec.secret");
        const string core = """{"kind":"Pod","apiVersion":"v1","spec":{"secret":"s1"}}""";
        const string custom = """{"kind":"Pod","apiVersion":"example.com/v1","spec":{"secret":"s1"}}""";

        Assert.Equal(core.Replace("\"s1\"", MaskedText), (await MaskAsync(core, rules)).Succeeded().Output);
        Assert.Equal(custom, (await MaskAsync(custom, rules)).Succeeded().Output);
    }

    [Fact]
    public async Task List_kind_with_paths_of_its_own_after_its_items_is_refused()
    {
        // The envelope was streamed on the strength of its items; a kind read later that has paths cannot be honoured.
        var rules = KubernetesMaskRules.Default.WithPaths("BackupList", "metadata.token");
        const string list = """{"apiVersion":"example.com/v1","items":[],"kind":"BackupList","metadata":{"token":"t1"}}""";

        var run = (await MaskAsync(list, rules)).Failed(KubernetesMaskingError.UnmaskableShape);

        Assert.DoesNotContain("t1", run.Output);
    }

    [Fact]
    public async Task List_kind_with_paths_of_its_own_before_its_items_is_held_whole_and_masked()
    {
        var rules = KubernetesMaskRules.Default.WithPaths("BackupList", "metadata.token");
        const string list =
            """{"kind":"BackupList","apiVersion":"example.com/v1","metadata":{"token":"t1"},"items":[{"kind":"Secret","data":{"k":"c2VjcmV0"}}]}""";

        var run = (await MaskAsync(list, rules)).Succeeded();

        Assert.Equal(list.Replace("\"t1\"", MaskedText).Replace(Value, MaskedData), run.Output);
    }
}
