using OrleansGate.Kubernetes.Requests;

namespace OrleansGate.Kubernetes.Tests;

/// <summary>
/// ";parameters" that servlet containers drop before resolving dot segments, the raw path that is forwarded, and the
/// reading of plain HTTP targets (the path checks without the Kubernetes rules).
/// </summary>
public sealed class PathParameterAndPlainHttpTests
{
    [Theory]
    [InlineData("/v1/invoices/..;/payments/1", "without its \";\" parameters it is a dot segment")]
    [InlineData("/v1/invoices/..%3B/payments/1", "without its \";\" parameters it is a dot segment")]
    [InlineData("/v1/invoices/.;x/42", "without its \";\" parameters it is a dot segment")]
    [InlineData("/v1/invoices/;x/42", "without its \";\" parameters it is empty")]
    [InlineData("/v1/invoices/..;a=b;c", "without its \";\" parameters it is a dot segment")]
    public void A_segment_that_is_a_dot_or_empty_segment_without_its_parameters_is_refused_by_both_readings(string path, string reason)
    {
        foreach (var parsed in new[] { KubernetesRequestParser.Parse("GET", path), KubernetesRequestParser.ParsePlainHttp("GET", path) })
        {
            Assert.False(parsed.IsAccepted, path);
            Assert.Contains(reason, parsed.Refusal, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("/v1/invoices/42;v=2")]
    [InlineData("/v1/invoices/42%3Bv=2")]
    [InlineData("/v1/a..;b")]
    public void A_parameter_after_a_name_is_accepted(string path) =>
        Assert.True(KubernetesRequestParser.ParsePlainHttp("GET", path).IsAccepted, path);

    [Fact]
    public void The_raw_path_keeps_its_escapes_and_leaves_the_query_out()
    {
        var plain = KubernetesRequestParser.ParsePlainHttp("GET", "/v1/invoices/42%3Bv=2?x=%2F");
        Assert.Equal("/v1/invoices/42%3Bv=2", plain.Request!.RawPath);
        Assert.Equal("/v1/invoices/42;v=2", plain.Request.Path);

        var kube = KubernetesRequestParser.Parse("GET", "/api/v1/namespaces/ns/configmaps/a%3Ab?limit=1");
        Assert.Equal("/api/v1/namespaces/ns/configmaps/a%3Ab", kube.Request!.RawPath);
        Assert.Equal("a:b", kube.Request.Name);
    }

    [Theory]
    [InlineData("GET", "/api/v1/customers/1/orders/7")]
    [InlineData("GET", "/API/v1/customers")]
    [InlineData("GET", "/v1/reports?watch=weekly&watch=daily")]
    [InlineData("GET", "/v1/search?q=a;b&fieldSelector=x")]
    [InlineData("POST", "/apis/apps/v1/namespaces/ns/deployments/web/scale/extra")]
    public void A_plain_http_target_is_not_read_as_the_Kubernetes_API(string method, string target)
    {
        var parsed = KubernetesRequestParser.ParsePlainHttp(method, target);
        Assert.True(parsed.IsAccepted, parsed.Refusal);
        Assert.False(parsed.Request.IsResourceRequest);
        Assert.Equal(method.ToLowerInvariant(), parsed.Request.Verb);
    }

    [Theory]
    [InlineData("GET", "/v1/../admin", "dot segments are refused")]
    [InlineData("GET", "/v1/a%2Fb", "has an encoded \"/\"")]
    [InlineData("GET", "/v1//a", "empty path segment")]
    [InlineData("GET", "/v1/a?x=%zz", "the query has a malformed percent-encoding")]
    [InlineData("GET", "/v1/a?x=a b", "the query has \" \", which must be percent-encoded")]
    [InlineData("TRACE", "/v1/a", "HTTP method \"TRACE\" is refused")]
    public void A_plain_http_target_keeps_the_path_and_query_checks(string method, string target, string reason)
    {
        var parsed = KubernetesRequestParser.ParsePlainHttp(method, target);
        Assert.False(parsed.IsAccepted);
        Assert.Contains(reason, parsed.Refusal, StringComparison.Ordinal);
    }
}
