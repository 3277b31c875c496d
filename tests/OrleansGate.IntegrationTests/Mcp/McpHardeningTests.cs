using System.Net;
using System.Net.Http.Headers;
using System.Text;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using OrleansGate.Host.Mcp;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.IntegrationTests.Infrastructure;

namespace OrleansGate.IntegrationTests.Mcp;

/// <summary>
/// The MCP endpoint against requests that try to get around its gate or its tools' limits: path variants of
/// <c>/mcp</c>, a token where it is not read, and tool arguments that <see cref="Uri"/> or the header parser would
/// rewrite on their way to the agent listener.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class McpHardeningTests(GatewayFixture fixture) : IAsyncLifetime
{
    private const string Initialize = """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}""";

    private McpGateway _gateway = null!;

    public async Task InitializeAsync() => _gateway = await McpGateway.StartAsync(fixture);

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    /// <summary>Every spelling either is <c>/mcp</c> after Kestrel's decoding (then the gate answers 401) or is not (the Kubernetes handler's 404).</summary>
    [Theory]
    [InlineData("/mcp", "1.1", HttpStatusCode.Unauthorized)]
    [InlineData("/mcp", "2.0", HttpStatusCode.Unauthorized)]
    [InlineData("/./mcp", "1.1", HttpStatusCode.Unauthorized)]
    [InlineData("/%6Dcp", "2.0", HttpStatusCode.Unauthorized)]
    [InlineData("/mcp?access_token=x", "1.1", HttpStatusCode.Unauthorized)]
    [InlineData("/MCP", "1.1", HttpStatusCode.NotFound)]
    [InlineData("/mcp/", "2.0", HttpStatusCode.NotFound)]
    [InlineData("//mcp", "1.1", HttpStatusCode.NotFound)]
    [InlineData("/mcp;x", "1.1", HttpStatusCode.NotFound)]
    [InlineData("/mcp%2F", "2.0", HttpStatusCode.NotFound)]
    [InlineData("/mcp/sse", "1.1", HttpStatusCode.NotFound)]
    public async Task Path_variants_of_mcp_without_a_token_never_reach_the_server(string path, string version, HttpStatusCode expected)
    {
        using var http = _gateway.AgentHttpClient();
        using var request = McpRequest(HttpMethod.Post, RawUri(path), version);

        using var response = await http.SendAsync(request);

        Assert.Equal(expected, response.StatusCode);
        Assert.DoesNotContain("protocolVersion", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/MCP")]
    [InlineData("/mcp/")]
    [InlineData("//mcp")]
    [InlineData("/mcp%2F")]
    [InlineData("/.well-known/oauth-protected-resource/mcp")]
    public async Task Path_variants_of_mcp_with_a_valid_token_are_not_the_mcp_server(string path)
    {
        using var http = _gateway.AgentHttpClient();
        using var request = McpRequest(HttpMethod.Post, RawUri(path), "1.1");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await fixture.Node.GetTokenAsync(GatewaySettings.OtherClientId));

        using var response = await http.SendAsync(request);

        Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("protocolVersion", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("DELETE")]
    public async Task Other_methods_on_mcp_without_a_token_get_401(string method)
    {
        using var http = _gateway.AgentHttpClient();
        using var request = new HttpRequestMessage(new HttpMethod(method), "mcp");
        request.Headers.Accept.ParseAdd("text/event-stream");

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    /// <summary>
    /// Uri decodes "%2e" and turns '\' into '/' and then removes the dot segments: without the check, this call went out
    /// as <c>GET /mcp</c> (or <c>/api/exec</c>, <c>/http/OTHER/…</c>), outside the Kubernetes target it names.
    /// </summary>
    [Theory]
    [InlineData("/api/v1/namespaces/default/pods/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/mcp")]
    [InlineData("/api/v1/namespaces/default/pods/.%2E/.%2E/.%2E/.%2E/.%2E/.%2E/.%2E/api/exec")]
    [InlineData("/api\\..\\..\\..\\mcp")]
    public async Task Kubernetes_request_path_that_would_leave_its_target_is_refused_before_it_is_sent(string path)
    {
        await using var client = await _gateway.ClientAsync(GatewaySettings.OtherClientId);
        var before = _gateway.Api.Requests.Count;

        var result = await client.CallToolAsync("kubernetes_request", new Dictionary<string, object?> { ["target"] = "cluster", ["path"] = path });

        Assert.True(result.IsError);
        Assert.StartsWith("argument 'path' must start with a single '/'", Text(result), StringComparison.Ordinal);
        Assert.Equal(before, _gateway.Api.Requests.Count);
    }

    [Theory]
    [InlineData("/a/%2e%2e/%2e%2e/%2e%2e/mcp")]
    [InlineData("/%2E%2e/http/other/x")]
    [InlineData("/a\\..\\..\\api/exec")]
    [InlineData("/a/..\\..\\http/other")]
    [InlineData("/a#/../../x")]
    [InlineData("/a/./b")]
    [InlineData("//evil.example/a")]
    public void Target_uri_refuses_every_path_uri_would_move_out_of_the_target(string path)
    {
        Assert.Throws<McpToolRefusal>(() => AgentHttpRequestTool.TargetUri(new Uri("https://127.0.0.1:1/"), "k8s/", "prod", path));
    }

    [Theory]
    [InlineData("/api/v1/pods", "/k8s/prod/api/v1/pods")]
    [InlineData("/api/v1/pods?labelSelector=app%3Dweb", "/k8s/prod/api/v1/pods")]
    [InlineData("/api/v1/namespaces/a..b/pods", "/k8s/prod/api/v1/namespaces/a..b/pods")]
    [InlineData("/api/v1/namespaces/default/pods/%252e%252e", "/k8s/prod/api/v1/namespaces/default/pods/%252e%252e")]
    public void Target_uri_keeps_ordinary_paths_under_the_target(string path, string expected)
    {
        Assert.Equal(expected, AgentHttpRequestTool.TargetUri(new Uri("https://127.0.0.1:1/"), "k8s/", "prod", path).AbsolutePath);
    }

    /// <summary>A content_type the header parser refuses was an unhandled FormatException (a protocol error, not a tool result).</summary>
    [Theory]
    [InlineData("application/json\r\nX-Injected: 1")]
    [InlineData("application/json\nAuthorization: Bearer x")]
    [InlineData("not a media type")]
    public async Task Content_type_that_is_no_media_type_is_a_tool_error_naming_the_argument(string contentType)
    {
        await using var client = await _gateway.ClientAsync(GatewaySettings.OtherClientId);
        var before = _gateway.Api.Requests.Count;

        var result = await client.CallToolAsync("kubernetes_request", new Dictionary<string, object?>
        {
            ["target"] = "cluster",
            ["method"] = "POST",
            ["path"] = "/api/v1/namespaces/default/pods",
            ["body"] = "{}",
            ["content_type"] = contentType,
        });

        Assert.True(result.IsError);
        Assert.StartsWith("argument 'content_type' must be a media type", Text(result), StringComparison.Ordinal);
        Assert.Equal(before, _gateway.Api.Requests.Count);
    }

    [Fact]
    public void Content_type_with_parameters_is_kept()
    {
        var type = AgentHttpRequestTool.ContentType("application/json; charset=utf-8", "POST");

        Assert.Equal("application/json", type.MediaType);
        Assert.Equal("utf-8", type.CharSet);
        Assert.Equal("application/merge-patch+json", AgentHttpRequestTool.ContentType(null, "PATCH").MediaType);
    }

    /// <summary>The path exactly as written on the wire: Uri would otherwise decode and normalise it before it is sent.</summary>
    private Uri RawUri(string path) =>
        new($"https://127.0.0.1:{_gateway.AgentPort}{path}", new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });

    private static HttpRequestMessage McpRequest(HttpMethod method, Uri uri, string version)
    {
        var request = new HttpRequestMessage(method, uri)
        {
            Version = Version.Parse(version),
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new StringContent(Initialize, Encoding.UTF8, "application/json"),
        };
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("text/event-stream");
        return request;
    }

    private static string Text(CallToolResult result) => string.Join("\n", result.Content.OfType<TextContentBlock>().Select(b => b.Text));
}
