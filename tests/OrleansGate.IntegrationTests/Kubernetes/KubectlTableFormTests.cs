using System.Text.Json.Nodes;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.KubernetesApiStandIn;
using OrleansGate.KubernetesApiStandIn.Clients;

namespace OrleansGate.IntegrationTests.Kubernetes;

/// <summary>
/// <c>kubectl get</c> asks for a server-side Table, whose cells and metadata-only row objects the masker cannot mask by
/// the objects' kind. For a kind with <c>kubernetes_masks</c> paths the gateway asks upstream for the objects instead,
/// and kubectl prints the masked objects itself; other kinds keep their Table.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class KubectlTableFormTests(GatewayFixture fixture) : IAsyncLifetime
{
    private const string Password = "cm-password-not-for-agents";
    private const string Note = "cm-note-not-for-agents";

    private KubectlGateway _gateway = null!;
    private Kubectl _kubectl = null!;

    public async Task InitializeAsync()
    {
        // kubernetes_masks follows the rules, at the top level of the policy (the rules' items are indented by 2).
        _gateway = await KubectlGateway.StartAsync(fixture, KubectlGateway.DiscoveryRule + "\n" + """
              - name: read
                effect: allow
                reason: agents may read pods and config maps
                match: { kubernetes: { verbs: [get, list], resources: [pods, configmaps] } }
            kubernetes_masks:
              - kind: ConfigMap
                paths: [data.password, metadata.annotations.note]
            """, api =>
        {
            api.Create(StandInResources.Pods, StandInObjects.Pod("web-1"));
            var configMap = StandInObjects.ConfigMap("app", new Dictionary<string, string> { ["password"] = Password, ["host"] = "db.internal" });
            configMap["metadata"]!["annotations"] = new JsonObject { ["note"] = Note };
            api.Create(StandInResources.ConfigMaps, configMap);
        });
        _kubectl = await _gateway.KubectlAsync(GatewaySettings.AgentClientId);
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task Kubectl_get_configmaps_with_masked_paths_prints_the_masked_objects_and_never_a_masked_value()
    {
        // -v=9 logs every response body: a Table's metadata-only rows would show the note, which the Table form escapes.
        var result = await _kubectl.RunAsync("get", "configmaps", "-v=9");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["NAME", "AGE"], result.Stdout.Split('\n')[0].Split(' ', StringSplitOptions.RemoveEmptyEntries)); // kubectl's own printing
        Assert.Contains("app", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, result.Stdout + result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(Note, result.Stdout + result.Stderr, StringComparison.Ordinal);
        var list = Assert.Single(_gateway.Api.Requests, r => r.Method == "GET" && r.Path == "/api/v1/namespaces/default/configmaps");
        Assert.DoesNotContain("as=Table", list.Header("Accept") ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kubectl_get_pods_keeps_the_servers_table_when_no_pod_path_is_masked()
    {
        var result = await _kubectl.RunAsync("get", "pods");

        Assert.True(result.ExitCode == 0, result.ToString());
        var header = result.Stdout.Split('\n')[0];
        Assert.Contains("READY", header, StringComparison.Ordinal); // a column of the server's Table, not of kubectl's own printing
        Assert.Contains("STATUS", header, StringComparison.Ordinal);
        var list = Assert.Single(_gateway.Api.Requests, r => r.Method == "GET" && r.Path == "/api/v1/namespaces/default/pods");
        Assert.Contains("as=Table", list.Header("Accept") ?? "", StringComparison.Ordinal);
    }
}
