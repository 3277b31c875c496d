using OrleansGate.Kubernetes.Masking;
using static OrleansGate.Kubernetes.Tests.Masking.MaskingHarness;

namespace OrleansGate.Kubernetes.Tests.Masking;

/// <summary>The <c>meta.k8s.io/v1</c> Table that <c>kubectl get</c> asks for (<c>Accept: application/json;as=Table;…</c>).</summary>
public sealed class TableMaskingTests
{
    private const string Columns =
        """[{"name":"Name","type":"string","format":"name","description":"Name must be unique within a namespace.","priority":0},{"name":"Type","type":"string","format":"","description":"","priority":0},{"name":"Data","type":"string","format":"","description":"","priority":0},{"name":"Age","type":"string","format":"","description":"","priority":0}]""";

    [Fact]
    public async Task Table_rows_holding_secrets_are_masked_and_cells_are_unchanged()
    {
        const string row1 =
            """{"cells":["db","Opaque",2,"5d"],"object":{"kind":"Secret","apiVersion":"v1","metadata":{"name":"db"},"data":{"password":"c2VjcmV0","user":"YWRtaW4="},"type":"Opaque"}}""";
        const string row2 =
            """{"cells":["tls","kubernetes.io/tls",1,"1h"],"object":{"kind":"Secret","apiVersion":"v1","metadata":{"name":"tls"},"data":{"tls.key":"a2V5"}}}""";
        var table = $$"""{"kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":{"resourceVersion":"77"},"columnDefinitions":{{Columns}},"rows":[{{row1}},{{row2}}]}""";

        var run = (await MaskAsync(table)).Succeeded();

        var expected = table.Replace("\"c2VjcmV0\"", MaskedData).Replace("\"YWRtaW4=\"", MaskedData).Replace("\"a2V5\"", MaskedData);
        Assert.Equal(expected, run.Output);
        Assert.Contains("""{"cells":["db","Opaque",2,"5d"],"object":""", run.Output);
        Assert.Equal(new KubernetesMaskResult(2, 3), run.Result);
    }

    [Fact]
    public async Task Table_rows_with_partial_object_metadata_are_unchanged()
    {
        var table =
            """{"kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":{},"columnDefinitions":""" + Columns + ""","rows":[{"cells":["db","Opaque",2,"5d"],"object":{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":{"name":"db"}}}]}""";

        var run = (await MaskAsync(table)).Succeeded();

        Assert.Equal(table, run.Output);
        Assert.Equal(new KubernetesMaskResult(1, 0), run.Result);
    }

    [Fact]
    public async Task Table_row_object_configured_path_is_masked()
    {
        var rules = KubernetesMaskRules.Default.WithPaths("ConfigMap", "data.password");
        const string table =
            """{"kind":"Table","apiVersion":"meta.k8s.io/v1","rows":[{"cells":["c",1,"2m"],"object":{"kind":"ConfigMap","apiVersion":"v1","data":{"password":"hunter2","host":"h"}}}]}""";

        var run = (await MaskAsync(table, rules)).Succeeded();

        Assert.Equal(table.Replace("\"hunter2\"", MaskedText), run.Output);
    }
}
