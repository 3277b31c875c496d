using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using Npgsql;
using OrleansGate.IntegrationTests.Fixtures;

namespace OrleansGate.IntegrationTests.Mcp;

/// <summary>
/// The MCP endpoint through the SDK's own client over streamable HTTP: tools listed per identity, rows masked by the
/// gateway, refusals as tool errors naming their rule, an approval waited on with progress, and the authorization
/// spec's 401 and protected resource metadata.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed partial class McpEndpointTests(GatewayFixture fixture) : IAsyncLifetime
{
    private McpGateway _gateway = null!;

    [GeneratedRegex("apr-[0-9a-f]{20}")]
    private static partial Regex ApprovalId();

    public async Task InitializeAsync() => _gateway = await McpGateway.StartAsync(fixture);

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task Tool_list_follows_each_agents_policy_and_an_unlisted_tool_is_a_tool_error()
    {
        await using var sql = await _gateway.ClientAsync(GatewaySettings.AgentClientId);
        await using var kube = await _gateway.ClientAsync(GatewaySettings.OtherClientId);

        var sqlTools = (await sql.ListToolsAsync()).Select(t => t.Name).Order().ToList();
        var kubeTools = (await kube.ListToolsAsync()).Select(t => t.Name).Order().ToList();

        Assert.Equal(["approval_status", "postgres_query", "postgres_targets"], sqlTools);
        Assert.Equal(["approval_status", "kubernetes_request"], kubeTools);

        var refused = await kube.CallToolAsync("postgres_query", new Dictionary<string, object?> { ["target"] = "demo", ["sql"] = "SELECT 1" });
        Assert.True(refused.IsError);
        Assert.Contains("no tool 'postgres_query' for this agent", Text(refused), StringComparison.Ordinal);

        var targets = await sql.CallToolAsync("postgres_targets");
        Assert.NotEqual(true, targets.IsError);
        Assert.Equal(["demo"], Json(targets).GetProperty("targets").EnumerateArray().Select(e => e.GetString()).ToList());
    }

    [Fact]
    public async Task Query_returns_rows_with_the_masked_column_masked_by_the_gateway()
    {
        await using var client = await _gateway.ClientAsync(GatewaySettings.AgentClientId);

        var result = await client.CallToolAsync("postgres_query", new Dictionary<string, object?> { ["target"] = "demo", ["sql"] = "SELECT id, name, email FROM mcp_customers ORDER BY id" });

        Assert.True(result.IsError != true, Text(result));
        Assert.DoesNotContain(McpGateway.MaskedEmail, Text(result), StringComparison.Ordinal);
        var document = Json(result);
        Assert.Equal(["id", "name", "email"], document.GetProperty("columns").EnumerateArray().Select(c => c.GetProperty("name").GetString()).ToList());
        Assert.Equal(1, document.GetProperty("row_count").GetInt32());
        Assert.False(document.GetProperty("truncated").GetBoolean());
        var row = document.GetProperty("rows")[0];
        Assert.Equal(1, row[0].GetInt32());
        Assert.Equal("Ada", row[1].GetString());
        Assert.NotEqual(JsonValueKind.Null, row[2].ValueKind);
        Assert.NotEqual(McpGateway.MaskedEmail, row[2].GetString());
    }

    [Fact]
    public async Task Max_rows_caps_the_rows_and_says_truncated()
    {
        await using var client = await _gateway.ClientAsync(GatewaySettings.AgentClientId);

        var result = await client.CallToolAsync("postgres_query", new Dictionary<string, object?> { ["target"] = "demo", ["sql"] = "SELECT g FROM generate_series(1, 50) g", ["max_rows"] = 7 });

        Assert.True(result.IsError != true, Text(result));
        var document = Json(result);
        Assert.Equal(7, document.GetProperty("row_count").GetInt32());
        Assert.Equal(7, document.GetProperty("rows").GetArrayLength());
        Assert.True(document.GetProperty("truncated").GetBoolean());
    }

    [Fact]
    public async Task Denied_statement_is_a_tool_error_naming_the_rule()
    {
        await using var client = await _gateway.ClientAsync(GatewaySettings.AgentClientId);

        var result = await client.CallToolAsync("postgres_query", new Dictionary<string, object?> { ["target"] = "demo", ["sql"] = "DROP TABLE mcp_customers" });

        Assert.True(result.IsError);
        Assert.Contains("42501", Text(result), StringComparison.Ordinal);
        Assert.Contains("no-ddl", Text(result), StringComparison.Ordinal);
        Assert.Contains("agents never change the schema", Text(result), StringComparison.Ordinal);
        await using var direct = new NpgsqlConnection(fixture.Postgres.ConnectionString("demo"));
        await direct.OpenAsync();
        await using var check = new NpgsqlCommand("SELECT to_regclass('public.mcp_customers') IS NOT NULL", direct);
        Assert.True((bool)(await check.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task Approval_is_waited_on_with_progress_and_the_result_arrives_once_approved()
    {
        await using var client = await _gateway.ClientAsync(GatewaySettings.AgentClientId);
        var progress = new ProgressLog();

        var call = client.CallToolAsync("postgres_query", new Dictionary<string, object?> { ["target"] = "demo", ["sql"] = "UPDATE mcp_notes SET body = 'after' WHERE id = 1" }, progress).AsTask();

        // The gateway's notice, passed on as progress, names the approval; heartbeats follow while it waits.
        var noticed = progress.WaitForAsync(m => ApprovalId().IsMatch(m), TimeSpan.FromSeconds(60));
        if (await Task.WhenAny(noticed, call) == call)
        {
            Assert.Fail("the call ended before any progress named its approval: " + Text(await call));
        }

        var notice = await noticed;
        var id = ApprovalId().Match(notice.Message!).Value;
        Assert.Contains("note-updates-wait", notice.Message, StringComparison.Ordinal);
        await progress.WaitForAsync(m => m.StartsWith("still running", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        Assert.False(call.IsCompleted, "the call did not wait for the approval");

        var status = await ApprovalStatusAsync(client, id);
        Assert.Equal("pending", status.GetProperty("status").GetString());
        Assert.Equal("note-updates-wait", status.GetProperty("rule").GetString());

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        using var approve = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{_gateway.Node.Settings.HttpPort}/api/approvals/{id}/approve")
        {
            Content = JsonContent.Create(new { comment = "fine" }),
        };
        approve.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await fixture.Node.GetTokenAsync("bob"));
        using (var approved = await http.SendAsync(approve))
        {
            Assert.Equal(HttpStatusCode.OK, approved.StatusCode);
        }

        var result = await call.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(result.IsError != true, Text(result));
        Assert.Equal(1, Json(result).GetProperty("records_affected").GetInt32());
        await using var direct = new NpgsqlConnection(fixture.Postgres.ConnectionString("demo"));
        await direct.OpenAsync();
        await using var check = new NpgsqlCommand("SELECT body FROM mcp_notes WHERE id = 1", direct);
        Assert.Equal("after", await check.ExecuteScalarAsync());
        Assert.Equal("approved", (await ApprovalStatusAsync(client, id)).GetProperty("status").GetString());

        // Another agent's view of it: no such approval, as for an id that does not exist.
        await using var other = await _gateway.ClientAsync(GatewaySettings.OtherClientId);
        var foreign = await other.CallToolAsync("approval_status", new Dictionary<string, object?> { ["approval_id"] = id });
        Assert.True(foreign.IsError);
        Assert.Contains("no such approval", Text(foreign), StringComparison.Ordinal);
        Assert.DoesNotContain("note-updates-wait", Text(foreign), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kubernetes_request_is_decided_by_the_agent_listener()
    {
        await using var client = await _gateway.ClientAsync(GatewaySettings.OtherClientId);

        var list = await client.CallToolAsync("kubernetes_request", new Dictionary<string, object?> { ["target"] = "cluster", ["path"] = "/api/v1/namespaces/default/pods" });
        Assert.True(list.IsError != true, Text(list));
        Assert.Equal(200, Json(list).GetProperty("status").GetInt32());
        Assert.Contains("web-1", Json(list).GetProperty("body").GetString(), StringComparison.Ordinal);

        var delete = await client.CallToolAsync("kubernetes_request", new Dictionary<string, object?> { ["target"] = "cluster", ["verb"] = "delete", ["path"] = "/api/v1/namespaces/default/pods/web-1" });
        Assert.True(delete.IsError);
        Assert.Contains("403", Text(delete), StringComparison.Ordinal);
        Assert.Contains("default-deny", Text(delete), StringComparison.Ordinal);
        Assert.DoesNotContain(_gateway.Api.Requests, r => r.Method == "DELETE");

        // A misspelt argument is refused, never read as absent (here: a GET).
        var misspelt = await client.CallToolAsync("kubernetes_request", new Dictionary<string, object?> { ["target"] = "cluster", ["metod"] = "DELETE", ["path"] = "/api/v1/namespaces/default/pods/web-1" });
        Assert.True(misspelt.IsError);
        Assert.Contains("unknown argument 'metod' for kubernetes_request", Text(misspelt), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Forged_token_gets_401_pointing_at_the_resource_metadata_which_names_the_issuer()
    {
        var token = await fixture.Node.GetTokenAsync(GatewaySettings.AgentClientId);
        var forged = token[..^4] + (token[^4..] == "AAAA" ? "BBBB" : "AAAA");
        using var http = _gateway.AgentHttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "mcp")
        {
            Content = new StringContent("""{"jsonrpc":"2.0","id":1,"method":"tools/list"}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", forged);
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("text/event-stream");

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var challenge = Assert.Single(response.Headers.WwwAuthenticate);
        Assert.Equal("Bearer", challenge.Scheme);
        var metadataUrl = $"https://127.0.0.1:{_gateway.AgentPort}/.well-known/oauth-protected-resource/mcp";
        Assert.Contains($"resource_metadata=\"{metadataUrl}\"", challenge.Parameter, StringComparison.Ordinal);
        Assert.DoesNotContain(forged, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var metadata = await http.GetFromJsonAsync<JsonElement>(metadataUrl);
        Assert.Equal(_gateway.McpUrl.ToString(), metadata.GetProperty("resource").GetString());
        Assert.Equal([fixture.Settings.Issuer], metadata.GetProperty("authorization_servers").EnumerateArray().Select(e => e.GetString()).ToList());

        // The SDK's client gets no session with it either.
        await Assert.ThrowsAnyAsync<Exception>(async () => await (await _gateway.ClientWithTokenAsync(forged)).DisposeAsync());
    }

    [Fact]
    public async Task Mcp_is_served_on_the_agent_listener_only()
    {
        using var admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_gateway.Node.Settings.HttpPort}/") };
        using var post = await admin.PostAsync("mcp", new StringContent("""{"jsonrpc":"2.0","id":1,"method":"tools/list"}""", System.Text.Encoding.UTF8, "application/json"));
        using var metadata = await admin.GetAsync(".well-known/oauth-protected-resource/mcp");

        Assert.Equal(HttpStatusCode.NotFound, post.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, metadata.StatusCode);

        // And the agent listener still answers everything else as before (its Kubernetes handler, not the admin endpoints).
        using var agent = _gateway.AgentHttpClient();
        using var health = await agent.GetAsync("healthz");
        Assert.NotEqual(HttpStatusCode.OK, health.StatusCode);
    }

    private static async Task<JsonElement> ApprovalStatusAsync(McpClient client, string id)
    {
        var result = await client.CallToolAsync("approval_status", new Dictionary<string, object?> { ["approval_id"] = id });
        Assert.True(result.IsError != true, Text(result));
        return Json(result);
    }

    private static string Text(CallToolResult result) => string.Join("\n", result.Content.OfType<TextContentBlock>().Select(b => b.Text));

    private static JsonElement Json(CallToolResult result) => JsonDocument.Parse(Text(result)).RootElement.Clone();
}
