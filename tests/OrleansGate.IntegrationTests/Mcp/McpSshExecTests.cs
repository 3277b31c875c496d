using System.Text.Json;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using OrleansGate.IntegrationTests.Approvals;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.IntegrationTests.Kubernetes;
using OrleansGate.IntegrationTests.Ssh;

namespace OrleansGate.IntegrationTests.Mcp;

/// <summary>
/// <c>ssh_exec</c> through the SDK's own MCP client, to a real OpenSSH server (<see cref="RealSshServer"/>): the tool is
/// listed for an agent whose policy has SSH rules, runs an allowed command, explains a refusal by its rule, and waits
/// with progress on a command held for approval, which then runs once. What reached the host is the host's own record.
/// </summary>
[Collection(GatewayCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class McpSshExecTests(GatewayFixture fixture) : IAsyncLifetime
{
    private RealSshServer _host = null!;
    private KubectlGateway _gateway = null!;

    public async Task InitializeAsync()
    {
        _host = await RealSshServer.StartAsync(forcedCommand: false);
        try
        {
            _gateway = await KubectlGateway.StartWithPolicyAsync(fixture, $$"""
                version: mcp-ssh
                targets:
                {{_host.TargetYaml("web1")}}
                rules:
                  - name: echo-anything
                    effect: allow
                    reason: agent-a may echo
                    match: { subjects: [{{GatewaySettings.AgentClientId}}], targets: [web1], ssh: { commands: [echo] } }
                  - name: uname-waits
                    effect: approve
                    reason: uname needs a human here
                    match: { subjects: [{{GatewaySettings.AgentClientId}}], targets: [web1], ssh: { commands: [uname] } }
                    approval: { approvers: { groups: [dba] }, mode: wait, timeout: 90s }
                  - name: hostname-retry
                    effect: approve
                    reason: agent-b's commands are approved out of band
                    match: { subjects: [{{GatewaySettings.OtherClientId}}], targets: [web1], ssh: { commands: [hostname] } }
                    approval: { approvers: { groups: [dba] }, mode: retry, timeout: 5m }
                """);
        }
        catch
        {
            await _host.DisposeAsync(); // xunit calls no DisposeAsync when InitializeAsync throws: sshd must not outlive the test
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }

        await _host.DisposeAsync();
    }

    [Fact]
    public async Task Ssh_exec_is_listed_only_for_an_agent_with_ssh_rules_and_runs_an_allowed_command()
    {
        await using var agent = await ClientAsync(GatewaySettings.AgentClientId);
        await using var other = await ClientAsync(GatewaySettings.RevocableClientId); // no rule names it

        Assert.Contains("ssh_exec", (await agent.ListToolsAsync()).Select(t => t.Name));
        Assert.Equal(["approval_status"], (await other.ListToolsAsync()).Select(t => t.Name));
        var result = await agent.CallToolAsync("ssh_exec", new Dictionary<string, object?> { ["target"] = "web1", ["command"] = "echo hello from mcp" });

        Assert.True(result.IsError != true, Text(result));
        using var json = JsonDocument.Parse(Text(result));
        Assert.Equal(0, json.RootElement.GetProperty("exit_code").GetInt32());
        Assert.Equal("hello from mcp\n", json.RootElement.GetProperty("stdout").GetString());
        Assert.Equal(["echo hello from mcp"], _host.CommandsReceived());
    }

    [Fact]
    public async Task A_refused_command_is_a_tool_error_naming_its_rule_and_never_reaches_the_host()
    {
        await using var agent = await ClientAsync(GatewaySettings.AgentClientId);

        var refused = await agent.CallToolAsync("ssh_exec", new Dictionary<string, object?> { ["target"] = "web1", ["command"] = $"touch {_host.MarkerPath("mcp")}" });
        var unparsable = await agent.CallToolAsync("ssh_exec", new Dictionary<string, object?> { ["target"] = "web1", ["command"] = "echo $(id)" });

        Assert.True(refused.IsError);
        Assert.Contains("default-deny", Text(refused), StringComparison.Ordinal);
        Assert.True(unparsable.IsError);
        Assert.Contains("gateway:unparsable", Text(unparsable), StringComparison.Ordinal);
        Assert.Empty(_host.CommandsReceived());
        Assert.False(File.Exists(_host.MarkerPath("mcp")));
    }

    [Fact]
    public async Task A_held_command_is_waited_on_with_progress_and_runs_once_approved()
    {
        await using var agent = await ClientAsync(GatewaySettings.AgentClientId);
        var progress = new ProgressLog();

        var call = agent.CallToolAsync("ssh_exec", new Dictionary<string, object?> { ["target"] = "web1", ["command"] = "uname -s" }, progress).AsTask();
        var approvals = new ApprovalsApiClient(fixture, _gateway.Node);
        var approval = await approvals.PendingAsync("uname -s");
        await progress.WaitForAsync(m => m.Contains("not started after", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        Assert.False(call.IsCompleted, "the call did not wait for the approval");
        Assert.Empty(_host.CommandsReceived());

        var (status, _) = await approvals.CallAsync(HttpMethod.Post, $"/api/approvals/{approval.GetProperty("id").GetString()}/approve", "bob");
        Assert.Equal(200, status);
        var result = await call.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(result.IsError != true, Text(result));
        using var json = JsonDocument.Parse(Text(result));
        Assert.Equal("Linux\n", json.RootElement.GetProperty("stdout").GetString());
        Assert.Equal(["uname -s"], _host.CommandsReceived());
    }

    [Fact]
    public async Task Retry_mode_returns_the_approval_id_and_the_same_call_runs_once_approved()
    {
        await using var agent = await ClientAsync(GatewaySettings.OtherClientId);
        var call = new Dictionary<string, object?> { ["target"] = "web1", ["command"] = "hostname" };

        var first = await agent.CallToolAsync("ssh_exec", call);
        Assert.True(first.IsError);
        Assert.Contains("hostname-retry", Text(first), StringComparison.Ordinal);
        var id = System.Text.RegularExpressions.Regex.Match(Text(first), "apr-[0-9a-f]{20}").Value;
        Assert.NotEmpty(id);
        Assert.Contains("approval_status", Text(first), StringComparison.Ordinal);
        Assert.Empty(_host.CommandsReceived());

        var (status, _) = await new ApprovalsApiClient(fixture, _gateway.Node).CallAsync(HttpMethod.Post, $"/api/approvals/{id}/approve", "alice");
        Assert.Equal(200, status);
        var again = await agent.CallToolAsync("ssh_exec", call);

        Assert.True(again.IsError != true, Text(again));
        Assert.Equal(["hostname"], _host.CommandsReceived());
    }

    private async Task<McpClient> ClientAsync(string clientId)
    {
        var transport = new HttpClientTransport(
            new HttpClientTransportOptions
            {
                Endpoint = new Uri($"https://127.0.0.1:{_gateway.AgentPort}/mcp"),
                TransportMode = HttpTransportMode.StreamableHttp,
                AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = "Bearer " + await fixture.Node.GetTokenAsync(clientId) },
            },
            _gateway.AgentHttpClient(),
            loggerFactory: null,
            ownsHttpClient: true);
        return await McpClient.CreateAsync(transport);
    }

    private static string Text(CallToolResult result) => string.Concat(result.Content.OfType<TextContentBlock>().Select(t => t.Text));
}
