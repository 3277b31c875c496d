using OrleansGate.KubernetesApiStandIn.Endpoints;
using OrleansGate.KubernetesApiStandIn.Responses;
using OrleansGate.KubernetesApiStandIn.Store;

namespace OrleansGate.KubernetesApiStandIn.Tests.Units;

public sealed class RequestParsingTests
{
    [Theory]
    [InlineData("/api/v1/namespaces/default/pods", "pods", "default", null, null)]
    [InlineData("/api/v1/namespaces/default/pods/web/exec", "pods", "default", "web", "exec")]
    [InlineData("/api/v1/pods", "pods", null, null, null)]
    [InlineData("/api/v1/namespaces/default", "namespaces", null, "default", null)]
    [InlineData("/api/v1/namespaces/default/status", "namespaces", null, "default", "status")]
    [InlineData("/apis/apps/v1/namespaces/ns1/deployments/web/scale", "deployments", "ns1", "web", "scale")]
    public void Resource_paths_parse_into_resource_namespace_name_and_subresource(
        string path, string plural, string? ns, string? name, string? subresource)
    {
        Assert.True(ResourcePath.TryParse(path, out var parsed));
        Assert.Equal((plural, ns, name, subresource), (parsed!.Resource.Plural, parsed.Namespace, parsed.Name, parsed.Subresource));
    }

    [Theory]
    [InlineData("/api/v1/pods/web")]
    [InlineData("/api/v1/namespaces/default/pods/web/nonsense")]
    [InlineData("/apis/example.com/v1/widgets")]
    [InlineData("/api/v1")]
    public void Paths_naming_nothing_served_do_not_parse(string path) =>
        Assert.False(ResourcePath.TryParse(path, out _));

    [Theory]
    [InlineData("application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json", "meta.k8s.io/v1")]
    [InlineData("application/json;as=Table;v=v1beta1;g=meta.k8s.io", "meta.k8s.io/v1beta1")]
    [InlineData("application/vnd.kubernetes.protobuf,application/json", null)]
    [InlineData("application/json, */*", null)]
    [InlineData("", null)]
    public void Accept_picks_the_first_form_served(string accept, string? tableVersion) =>
        Assert.Equal(tableVersion, ResponseFormat.Negotiate(accept).TableApiVersion);

    [Fact]
    public void Accept_with_nothing_served_is_406()
    {
        var refused = Assert.Throws<ApiStatusException>(() => ResponseFormat.Negotiate("application/vnd.kubernetes.protobuf"));
        Assert.Equal(406, refused.Status.Code);
    }

    [Theory]
    [InlineData("app=web", true)]
    [InlineData("app!=web", false)]
    [InlineData("app in (db,web),tier", true)]
    [InlineData("app notin (web)", false)]
    [InlineData("!tier", false)]
    [InlineData("missing", false)]
    public void Label_selectors_match_labels(string selector, bool matches)
    {
        var pod = JsonNode.Parse("""{"metadata":{"name":"p","labels":{"app":"web","tier":"front"}}}""")!.AsObject();
        Assert.Equal(matches, Selector.ParseLabels(selector).Matches(pod));
    }

    [Theory]
    [InlineData("metadata.name=p", true)]
    [InlineData("metadata.name!=p", false)]
    [InlineData("status.phase=Running,metadata.name==p", true)]
    public void Field_selectors_match_dotted_paths(string selector, bool matches)
    {
        var pod = JsonNode.Parse("""{"metadata":{"name":"p"},"status":{"phase":"Running"}}""")!.AsObject();
        Assert.Equal(matches, Selector.ParseFields(selector).Matches(pod));
    }
}
