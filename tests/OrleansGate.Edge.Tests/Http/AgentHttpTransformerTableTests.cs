using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using OrleansGate.Edge.Http;
using OrleansGate.Kubernetes.Masking;
using OrleansGate.Kubernetes.Requests;

namespace OrleansGate.Edge.Tests.Http;

/// <summary>
/// kubectl's <c>Accept: application/json;as=Table;…</c> for a resource with mask paths: the Table form is taken out of
/// what is asked upstream, and a Table the target sends all the same is refused with 502.
/// </summary>
public sealed class AgentHttpTransformerTableTests
{
    /// <summary>What <c>kubectl get</c> sends (kubectl 1.32).</summary>
    private const string KubectlGetAccept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";

    private static readonly KubernetesMaskRules ConfigMapPasswords = KubernetesMaskRules.Default.WithPaths("ConfigMap", "data.password");

    private const string ConfigMapTable =
        """{"kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":{},"columnDefinitions":[{"name":"Password","type":"string"}],"rows":[{"cells":["hunter2"]}]}""";

    [Fact]
    public async Task Get_configmaps_with_a_masked_configmap_path_asks_upstream_for_plain_json_only()
    {
        var accept = await UpstreamAcceptAsync(ConfigMapPasswords, Request("", "configmaps"), KubectlGetAccept);

        Assert.Equal("application/json", accept);
    }

    [Fact]
    public async Task Get_pods_without_a_pod_path_keeps_the_table_form()
    {
        var accept = await UpstreamAcceptAsync(ConfigMapPasswords, Request("", "pods"), KubectlGetAccept);

        Assert.Equal(KubectlGetAccept, accept.Replace(" ", "", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Get_secrets_with_secret_values_masked_asks_for_plain_json_only()
    {
        // A Secret's rows hold metadata-only objects whose last-applied annotation can carry the values in clear.
        var accept = await UpstreamAcceptAsync(KubernetesMaskRules.Default, Request("", "secrets"), KubectlGetAccept);

        Assert.Equal("application/json", accept);
    }

    [Fact]
    public async Task A_request_whose_resource_is_unknown_asks_for_plain_json_only()
    {
        var accept = await UpstreamAcceptAsync(ConfigMapPasswords, request: null, KubectlGetAccept);

        Assert.Equal("application/json", accept);
    }

    [Fact]
    public async Task Metadata_only_forms_are_taken_out_too_and_plain_json_is_asked_when_nothing_is_left()
    {
        var accept = await UpstreamAcceptAsync(ConfigMapPasswords, Request("", "configmaps"),
            "application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io");

        Assert.Equal("application/json", accept);
    }

    [Fact]
    public async Task A_table_sent_for_a_masked_resource_all_the_same_is_refused_with_502_naming_why()
    {
        var (context, transformer) = await RespondAsync(ConfigMapPasswords, Request("", "configmaps"), ConfigMapTable);

        Assert.Equal(StatusCodes.Status502BadGateway, context.Response.StatusCode);
        var body = Body(context);
        Assert.DoesNotContain("hunter2", body, StringComparison.Ordinal);
        Assert.Contains("\"kind\":\"Status\"", body, StringComparison.Ordinal);
        Assert.Contains("Table", body, StringComparison.Ordinal);
        Assert.Contains("cannot mask", transformer.Failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_table_for_a_resource_without_mask_paths_is_passed_on()
    {
        var (context, transformer) = await RespondAsync(ConfigMapPasswords, Request("", "pods"), ConfigMapTable);

        Assert.Equal(StatusCodes.Status200OK, context.Response.StatusCode);
        Assert.Equal(ConfigMapTable, Body(context));
        Assert.Null(transformer.Failure);
    }

    private static KubernetesRequest Request(string group, string resource) => new()
    {
        IsResourceRequest = true,
        Verb = "list",
        Path = $"/api/v1/namespaces/default/{resource}",
        ApiGroup = group,
        ApiVersion = "v1",
        Namespace = "default",
        Resource = resource,
    };

    private static AgentHttpTransformer Transformer(KubernetesMaskRules rules, KubernetesRequest? request) =>
        new(new Uri("https://kube.test/api/v1/namespaces/default/x"), "gateway-token", rules, new KubernetesResponseMasker(), request);

    private static async Task<string> UpstreamAcceptAsync(KubernetesMaskRules rules, KubernetesRequest? request, string accept)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.Headers.Accept = accept;
        using var proxyRequest = new HttpRequestMessage(HttpMethod.Get, "https://kube.test/");

        await Transformer(rules, request).TransformRequestAsync(context, proxyRequest, "https://kube.test", CancellationToken.None);

        return proxyRequest.Headers.Accept.ToString();
    }

    private static async Task<(HttpContext Context, AgentHttpTransformer Transformer)> RespondAsync(KubernetesMaskRules rules, KubernetesRequest request, string json)
    {
        var context = new DefaultHttpContext();
        context.Response.Body = new MemoryStream();
        var transformer = Transformer(rules, request);
        using var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(json, Encoding.UTF8, "application/json") };

        await transformer.TransformResponseAsync(context, response, CancellationToken.None);
        await context.Response.BodyWriter.FlushAsync();

        return (context, transformer);
    }

    private static string Body(HttpContext context) => Encoding.UTF8.GetString(((MemoryStream)context.Response.Body).ToArray());
}
