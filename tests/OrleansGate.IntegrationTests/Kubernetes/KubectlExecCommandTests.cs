using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.IntegrationTests.Infrastructure;
using OrleansGate.KubernetesApiStandIn;
using OrleansGate.KubernetesApiStandIn.Clients;

namespace OrleansGate.IntegrationTests.Kubernetes;

/// <summary>
/// The real kubectl through the gateway to the API stand-in, with exec decided by the program it runs (<c>commands</c>)
/// and its output masked by the policy's detectors: <c>echo</c> runs, <c>cat</c> and a shell are refused before the
/// stand-in sees them, and an e-mail address in the output reaches kubectl as <c>[email]</c>.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class KubectlExecCommandTests(GatewayFixture fixture) : IAsyncLifetime
{
    // `masks:` follows the rules at the top level of the policy file.
    private const string Policy = """
          - name: discovery
            effect: allow
            reason: kubectl reads the API's discovery documents
            match: { kubernetes: { verbs: [get], non_resource_paths: ["/api", "/api/*", "/apis", "/apis/*", "/apis/*/*", "/version", "/openapi/*"] } }
          - name: read-pods
            effect: allow
            reason: kubectl exec reads the pod first
            match: { kubernetes: { verbs: [get], resources: [pods] } }
          - name: echo-only
            effect: allow
            reason: agents may echo in pods
            match: { kubernetes: { verbs: [get, create], resources: [pods/exec], commands: [echo] } }
          - name: no-deletes
            effect: deny
            reason: agents never delete files in pods (a shell could)
            match: { kubernetes: { resources: [pods/exec], commands: [rm, shred] } }
        masks:
          - name: exec-pii
            match: { targets: [cluster] }
            detectors: [email]
            method: redact
        """;

    private KubectlGateway _gateway = null!;
    private Kubectl _kubectl = null!;

    public async Task InitializeAsync()
    {
        _gateway = await KubectlGateway.StartAsync(fixture, Policy, api => api.Create(StandInResources.Pods, StandInObjects.Pod("web-1")));
        _kubectl = await _gateway.KubectlAsync(GatewaySettings.AgentClientId);
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task Echo_runs_where_the_rule_names_it_and_cat_is_refused_before_the_stand_in()
    {
        var echoed = await _kubectl.RunAsync("exec", "web-1", "--", "echo", "hi");
        var refused = await _kubectl.RunAsync("exec", "web-1", "--", "cat", "/etc/passwd");

        Assert.True(echoed.ExitCode == 0, echoed.ToString());
        Assert.Equal("hi", echoed.Stdout.Trim());
        Assert.NotEqual(0, refused.ExitCode);
        Assert.True(refused.Stderr.Contains("denied by rule default-deny: no policy rule allows this", StringComparison.Ordinal), refused.ToString());
        Assert.Contains(_gateway.Api.Requests, r => r.Path.EndsWith("/exec", StringComparison.Ordinal) && r.PathAndQuery.Contains("command=echo", StringComparison.Ordinal));
        Assert.DoesNotContain(_gateway.Api.Requests, r => r.PathAndQuery.Contains("command=cat", StringComparison.Ordinal));
        Assert.True(await AuditRowsAsync("command: cat /etc/passwd", "default-deny") >= 1);
    }

    [Fact]
    public async Task A_shell_is_refused_under_an_echo_rule_and_denied_by_a_rule_naming_what_it_could_run()
    {
        var result = await _kubectl.RunAsync("exec", "web-1", "--", "sh", "-c", "echo hi");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("denied by rule no-deletes: agents never delete files in pods (a shell could)", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(_gateway.Api.Requests, r => r.PathAndQuery.Contains("command=sh", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_email_in_exec_output_arrives_masked_and_the_audited_command_is_masked_too()
    {
        var result = await _kubectl.RunAsync("exec", "web-1", "--", "echo", "write to exec-probe@example.org");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("write to [email]", result.Stdout.Trim());
        Assert.Contains(_gateway.Api.Requests, r => r.PathAndQuery.Contains("exec-probe%40example.org", StringComparison.Ordinal)); // the stand-in printed it
        Assert.True(await AuditRowsAsync("command: echo write to [email]", "echo-only") >= 1);
        Assert.Equal(0, await AuditRowsAsync("exec-probe@example.org"));

        // The completion, written when the relayed stream ends (after kubectl may have exited), counts what was masked.
        await Poll.UntilAsync(async () => await AuditRowsAsync("1 values in exec output") >= 1, "the exec's completion record with its masked count");
    }

    private Task<long> AuditRowsAsync(params string[] parts) => AuditRows.CountAsync(fixture.Settings.StateConnectionString, parts);
}
