using System.Text;
using k8s;
using k8s.Models;

namespace OrleansGate.KubernetesApiStandIn.Tests;

public sealed class KubernetesClientTests : StandInTest
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);

    private Kubernetes Client() => new(KubernetesClientConfiguration.BuildConfigFromConfigFile(KubeconfigPath));

    [Fact]
    public async Task List_pods_returns_the_stored_pods()
    {
        StandIn.Create(StandInResources.Pods, StandInObjects.Pod("web-1"));
        StandIn.Create(StandInResources.Pods, StandInObjects.Pod("other", ns: "kube-system"));
        using var client = Client();

        var pods = await client.CoreV1.ListNamespacedPodAsync("default");

        Assert.Equal("web-1", Assert.Single(pods.Items).Metadata.Name);
        Assert.Equal("Running", pods.Items[0].Status.Phase);
        Assert.False(string.IsNullOrEmpty(pods.Metadata.ResourceVersion));
    }

    [Fact]
    public async Task Read_secret_returns_its_decoded_data()
    {
        StandIn.Create(StandInResources.Secrets, StandInObjects.Secret("db", new Dictionary<string, string> { ["password"] = "hunter2" }));
        using var client = Client();

        var secret = await client.CoreV1.ReadNamespacedSecretAsync("db", "default");

        Assert.Equal("hunter2", Encoding.UTF8.GetString(secret.Data["password"]));
    }

    [Fact]
    public async Task Create_configmap_stores_it_with_server_owned_metadata()
    {
        using var client = Client();
        var configMap = new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { Name = "settings" },
            Data = new Dictionary<string, string> { ["mode"] = "blue" },
        };

        var created = await client.CoreV1.CreateNamespacedConfigMapAsync(configMap, "default");

        Assert.False(string.IsNullOrEmpty(created.Metadata.Uid));
        var stored = StandIn.Get(StandInResources.ConfigMaps, "default", "settings");
        Assert.Equal("blue", stored!["data"]!["mode"]!.GetValue<string>());
        Assert.Equal(created.Metadata.ResourceVersion, stored["metadata"]!["resourceVersion"]!.GetValue<string>());
    }

    [Fact]
    public async Task Watch_pods_receives_added_for_a_pod_created_after_the_watch_began()
    {
        StandIn.Create(StandInResources.Pods, StandInObjects.Pod("before"));
        using var client = Client();
        using var bounded = new CancellationTokenSource(Bound);
        var seen = new List<(WatchEventType, string)>();

        await foreach (var (type, pod) in client.CoreV1.WatchListNamespacedPodAsync("default", cancellationToken: bounded.Token))
        {
            seen.Add((type, pod.Metadata.Name));

            // "before" arriving proves the watch is registered, so "after" is created once it is open.
            if (pod.Metadata.Name == "before")
            {
                StandIn.Create(StandInResources.Pods, StandInObjects.Pod("after"));
            }
            else
            {
                break;
            }
        }

        Assert.Equal([(WatchEventType.Added, "before"), (WatchEventType.Added, "after")], seen);
    }

    [Fact]
    public async Task Exec_over_websocket_captures_stdout_and_exit_code()
    {
        StandIn.Create(StandInResources.Pods, StandInObjects.Pod("web-1"));
        using var client = Client();
        using var bounded = new CancellationTokenSource(Bound);
        var stdout = "";

        var exitCode = await client.NamespacedPodExecAsync(
            "web-1", "default", "main", ["echo", "hello", "world"], tty: false,
            async (_, output, _) =>
            {
                using var reader = new StreamReader(output);
                stdout = await reader.ReadToEndAsync(bounded.Token);
            },
            bounded.Token);

        Assert.Equal(0, exitCode);
        Assert.Equal("hello world\n", stdout);
        var exec = StandIn.Requests.Single(r => r.Path.EndsWith("/exec", StringComparison.Ordinal));
        Assert.Equal("v4.channel.k8s.io", exec.Header("Sec-WebSocket-Protocol"));
    }

    [Fact]
    public async Task Exec_false_reports_exit_code_1()
    {
        StandIn.Create(StandInResources.Pods, StandInObjects.Pod("web-1"));
        using var client = Client();
        using var bounded = new CancellationTokenSource(Bound);

        var exitCode = await client.NamespacedPodExecAsync(
            "web-1", "default", "main", ["false"], tty: false, (_, _, _) => Task.CompletedTask, bounded.Token);

        Assert.Equal(1, exitCode);
    }
}
