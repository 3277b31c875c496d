using OrleansGate.Kubernetes.Masking;
using static OrleansGate.Kubernetes.Tests.Masking.MaskingHarness;

namespace OrleansGate.Kubernetes.Tests.Masking;

/// <summary>
/// Tables and metadata-only objects (<c>as=Table</c>, <c>as=PartialObjectMetadataList</c>) for a resource with mask
/// paths: which resources may be masked, and the refusal of such a form when the rules say so.
/// </summary>
public sealed class ServerSideFormTests
{
    private static readonly KubernetesMaskRules ConfigMapPasswords = KubernetesMaskRules.Default.WithPaths("ConfigMap", "data.password");

    private static readonly KubernetesMaskRules Refusing = ConfigMapPasswords.WithServerSideFormsRefused();

    private const string ConfigMapTable =
        """{"kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":{},"columnDefinitions":[{"name":"Password","type":"string"}],"rows":[{"cells":["hunter2"],"object":{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":{"name":"c"}}}]}""";

    [Theory]
    [InlineData("", "configmaps", true)]
    [InlineData("", "secrets", true)]
    [InlineData("", "pods", false)]
    [InlineData("apps", "deployments", false)]
    [InlineData("", "services", false)]
    public void Kubernetes_own_resources_may_be_masked_only_by_the_kinds_with_paths(string group, string resource, bool expected) =>
        Assert.Equal(expected, ConfigMapPasswords.MayMask(group, resource));

    [Fact]
    public void A_group_qualified_kind_counts_only_for_its_own_group()
    {
        var rules = KubernetesMaskRules.Default.WithSecretValuesMasked(false).WithPaths("apps/Deployment", "spec.template");

        Assert.True(rules.MayMask("apps", "deployments"));
        Assert.False(rules.MayMask("batch", "jobs"));
        Assert.False(rules.MayMask("example.com", "widgets"));
        Assert.True(rules.MayMask("apps", "deployments2")); // not built in: its kind could be Deployment
    }

    [Fact]
    public void Secrets_are_masked_when_secret_values_are_and_not_when_a_rule_reveals_them()
    {
        Assert.True(KubernetesMaskRules.Default.MayMask("", "secrets"));
        Assert.False(KubernetesMaskRules.Default.WithSecretValuesMasked(false).MayMask("", "secrets"));
    }

    [Theory]
    [InlineData("example.com", "widgets")]
    [InlineData("", "widgets")]
    public void A_resource_whose_kind_is_unknown_may_be_masked_while_secret_values_are(string group, string resource)
    {
        // A custom resource's plural says nothing certain about its kind: it could be a Secret, or a ConfigMap, of its group.
        Assert.True(KubernetesMaskRules.Default.MayMask(group, resource));
        Assert.True(ConfigMapPasswords.WithSecretValuesMasked(false).MayMask(group, resource));
        Assert.False(KubernetesMaskRules.Default.WithSecretValuesMasked(false).MayMask(group, resource));
    }

    [Fact]
    public async Task A_table_is_masked_as_before_when_the_rules_do_not_refuse_it()
    {
        var run = (await MaskAsync(ConfigMapTable, ConfigMapPasswords)).Succeeded();

        Assert.Equal(ConfigMapTable, run.Output); // the cell is a copy the masker never sees: why it is refused below
    }

    [Fact]
    public async Task A_table_is_refused_before_any_byte_of_it_is_written()
    {
        foreach (var split in EverySplit(ConfigMapTable.Length).Take(40))
        {
            var run = (await MaskAsync(ConfigMapTable, Refusing, split)).Failed(KubernetesMaskingError.ServerSideForm);

            Assert.Equal("", run.Output);
            Assert.Contains("Table", run.Failure!.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_table_whose_rows_come_before_its_kind_is_refused_at_its_first_row()
    {
        const string rowsFirst = """{"rows":[{"cells":["hunter2"]}],"kind":"Table","apiVersion":"meta.k8s.io/v1"}""";

        var run = (await MaskAsync(rowsFirst, Refusing)).Failed(KubernetesMaskingError.ServerSideForm);

        Assert.DoesNotContain("hunter2", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_watch_event_holding_a_table_is_refused()
    {
        const string events =
            """{"type":"ADDED","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"a"},"data":{"password":"x"}}}""" + "\n"
            + """{"type":"ADDED","object":{"kind":"Table","apiVersion":"meta.k8s.io/v1","rows":[{"cells":["hunter2"]}]}}""" + "\n";

        var run = (await MaskAsync(events, Refusing)).Failed(KubernetesMaskingError.ServerSideForm);

        Assert.Contains(MaskedText, run.Output, StringComparison.Ordinal); // the first event, masked, went
        Assert.DoesNotContain("hunter2", run.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"kind":"PartialObjectMetadataList","apiVersion":"meta.k8s.io/v1","items":[{"metadata":{"name":"a","annotations":{"note":"hunter2"}}}]}""")]
    [InlineData("""{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":{"name":"a","annotations":{"note":"hunter2"}}}""")]
    [InlineData("""{"apiVersion":"meta.k8s.io/v1","metadata":{"name":"a","annotations":{"note":"hunter2"}},"kind":"PartialObjectMetadata"}""")]
    public async Task Metadata_only_objects_are_refused_too(string json)
    {
        var run = (await MaskAsync(json, Refusing)).Failed(KubernetesMaskingError.ServerSideForm);

        Assert.DoesNotContain("hunter2", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_kind_named_table_of_another_group_is_masked_as_any_object()
    {
        // A custom resource's keys are sorted, so its apiVersion comes before its kind; a "Table" read before its group is refused.
        const string widget = """{"apiVersion":"furniture.example.com/v1","kind":"Table","metadata":{"name":"oak"},"spec":{"legs":4}}""";

        var run = (await MaskAsync(widget, KubernetesMaskRules.Default.WithPaths("furniture.example.com/Table", "spec.legs").WithServerSideFormsRefused())).Succeeded();

        Assert.Equal(widget.Replace("4}", MaskedText + "}", StringComparison.Ordinal), run.Output);
    }
}
