using OrleansGate.Host.Commands;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.KubernetesApiStandIn;
using OrleansGate.KubernetesApiStandIn.Clients;

namespace OrleansGate.IntegrationTests.Kubernetes;

/// <summary>
/// The real kubectl with a kubeconfig written by <c>orleansgate kube config</c> (run in-process, as an operator runs
/// it): kubectl starts the exec credential plugin, a real <c>orleansgate idp token --exec-credential</c> process (the
/// apphost the build puts next to orleansgate.dll in this test's output, see <see cref="ExecutableInvocation"/>), which
/// gets the client's token from the development IdP; the gateway decides by that client.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class KubeConfigCommandTests(GatewayFixture fixture, Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    // Only agent-a may list pods: a token of any other client is refused, so a listing shows whose token the plugin got.
    private const string Rules = """
          - name: discovery
            effect: allow
            reason: kubectl reads the API's discovery documents
            match: { kubernetes: { verbs: [get], non_resource_paths: ["/api", "/api/*", "/apis", "/apis/*", "/apis/*/*", "/version", "/openapi/*"] } }
          - name: agent-a-reads-pods
            effect: allow
            reason: agent-a may read pods
            match: { subjects: [agent-a], kubernetes: { verbs: [get, list], resources: [pods] } }
        """;

    private KubectlGateway _gateway = null!;
    private string _config = "";
    private string _ca = "";

    public async Task InitializeAsync()
    {
        _gateway = await KubectlGateway.StartAsync(fixture, Rules, api => api.Create(StandInResources.Pods, StandInObjects.Pod("web-1")));

        // The node's own settings: its policy (with the target `cluster`), the development IdP's issuer and clients.
        _config = _gateway.Node.Settings.WriteConfigFile();
        _ca = Path.Combine(Directory.CreateTempSubdirectory("orleansgate-kubeconfig-").FullName, "gateway-ca.pem");
        await File.WriteAllTextAsync(_ca, _gateway.GatewayCa);
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task Kubectl_get_pods_works_with_the_written_kubeconfig_and_a_token_from_the_exec_plugin()
    {
        var (kubectl, kubeconfig) = await KubeConfigAsync(GatewaySettings.AgentClientId);

        var result = await kubectl.RunAsync("get", "pods");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("web-1", result.Stdout, StringComparison.Ordinal);
        Assert.Contains(_gateway.Api.Requests, r => r.Method == "GET" && r.Path == "/api/v1/namespaces/default/pods");
        Assert.DoesNotContain("token:", kubeconfig, StringComparison.Ordinal);
        Assert.DoesNotContain(fixture.Settings.ClientSecret(GatewaySettings.AgentClientId), kubeconfig, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_plugin_gets_the_token_of_the_client_the_kubeconfig_names()
    {
        var (kubectl, _) = await KubeConfigAsync(GatewaySettings.OtherClientId);

        var result = await kubectl.RunAsync("get", "pods");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("Forbidden", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(_gateway.Api.Requests, r => r.Path == "/api/v1/namespaces/default/pods");
    }

    [Fact]
    public async Task A_plugin_that_cannot_get_a_token_fails_kubectl_with_its_message_and_nothing_is_sent()
    {
        var (kubectl, _) = await KubeConfigAsync("agent-nobody");
        var before = _gateway.Api.Requests.Count;

        var result = await kubectl.RunAsync("get", "pods");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("client 'agent-nobody' is not in the DevIdp configuration", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(before, _gateway.Api.Requests.Count);
    }

    [Fact]
    public async Task A_target_the_policy_does_not_have_is_refused_with_2()
    {
        using var stderr = new StringWriter();

        var exitCode = await CommandLine.RunAsync(
            ["--config", _config, "kube", "config", "--target", "staging", "--server", $"https://127.0.0.1:{_gateway.AgentPort}", "--client", GatewaySettings.AgentClientId],
            TextWriter.Null,
            stderr,
            CancellationToken.None);

        Assert.Equal(2, exitCode);
        Assert.Contains("target 'staging' is not a kubernetes target", stderr.ToString(), StringComparison.Ordinal);
    }

    /// <summary>Runs <c>orleansgate kube config</c> for <paramref name="client"/> into a kubectl home of its own.</summary>
    private async Task<(Kubectl Kubectl, string Text)> KubeConfigAsync(string client)
    {
        var home = Directory.CreateTempSubdirectory("orleansgate-kubectl-").FullName;
        var kubeconfig = Path.Combine(home, "config");
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exitCode = await CommandLine.RunAsync(
            ["--config", _config, "kube", "config", "--target", "cluster", "--server", $"https://127.0.0.1:{_gateway.AgentPort}", "--ca-file", _ca, "--client", client, "--output", kubeconfig],
            stdout,
            stderr,
            CancellationToken.None);
        Assert.True(exitCode == 0, stderr.ToString());
        var text = await File.ReadAllTextAsync(kubeconfig);
        output.WriteLine(text);
        return (new Kubectl(kubeconfig, home), text);
    }
}
