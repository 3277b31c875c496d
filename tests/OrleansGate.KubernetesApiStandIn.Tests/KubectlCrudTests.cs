using System.Text.Json;

namespace OrleansGate.KubernetesApiStandIn.Tests;

public sealed class KubectlCrudTests : StandInTest
{
    [Fact]
    public async Task Get_pods_prints_the_server_side_table()
    {
        StandIn.Create(StandInResources.Pods, StandInObjects.Pod("web-1"));

        var result = await Kubectl.RunAsync("get", "pods");

        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Stdout.Split('\n');
        Assert.Matches(@"^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$", lines[0]);
        Assert.Matches(@"^web-1\s+1/1\s+Running\s+0\s+\d+s$", lines[1]);
        var list = StandIn.Requests.Single(r => r.Path == "/api/v1/namespaces/default/pods");
        Assert.StartsWith("application/json;as=Table;v=v1;g=meta.k8s.io", list.Header("Accept"));
        Assert.Equal("Bearer gateway-upstream-token", list.Header("Authorization"));

        // kubectl asked for aggregated discovery and made do with the plain documents it was given.
        Assert.Contains("as=APIGroupDiscoveryList", StandIn.Requests.First(r => r.Path == "/api").Header("Accept"));
        Assert.Contains(StandIn.Requests, r => r.Path == "/api/v1");
    }

    [Fact]
    public async Task Get_pods_as_json_lists_the_stored_pods()
    {
        StandIn.Create(StandInResources.Pods, StandInObjects.Pod("web-1"));
        StandIn.Create(StandInResources.Pods, StandInObjects.Pod("web-2"));

        var result = await Kubectl.RunAsync("get", "pods", "-o", "json");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var list = JsonDocument.Parse(result.Stdout);
        var names = list.RootElement.GetProperty("items").EnumerateArray()
            .Select(i => i.GetProperty("metadata").GetProperty("name").GetString());
        Assert.Equal(["web-1", "web-2"], names);
    }

    [Fact]
    public async Task Get_secrets_as_yaml_shows_the_base64_values()
    {
        StandIn.Create(StandInResources.Secrets, StandInObjects.Secret("db", new Dictionary<string, string> { ["password"] = "hunter2" }));

        var result = await Kubectl.RunAsync("get", "secrets", "-o", "yaml");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("password: aHVudGVyMg==", result.Stdout);
        Assert.Contains("name: db", result.Stdout);
        Assert.DoesNotContain("hunter2", result.Stdout);
    }

    [Fact]
    public async Task Apply_creates_then_applying_a_change_patches_configmap_and_deployment()
    {
        const string Manifest = """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: settings
            data:
              mode: blue
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
            spec:
              replicas: 2
              selector:
                matchLabels: {app: web}
              template:
                metadata:
                  labels: {app: web}
                spec:
                  containers:
                  - name: web
                    image: nginx:1.27
                    ports:
                    - containerPort: 80
            """;
        var file = WriteFile("app.yaml", Manifest);

        var created = await Kubectl.RunAsync("apply", "-f", file);

        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.Contains("configmap/settings created", created.Stdout);
        Assert.Contains("deployment.apps/web created", created.Stdout);
        Assert.Equal("blue", StandIn.Get(StandInResources.ConfigMaps, "default", "settings")!["data"]!["mode"]!.GetValue<string>());

        WriteFile("app.yaml", Manifest.Replace("mode: blue", "mode: green").Replace("replicas: 2", "replicas: 3").Replace("nginx:1.27", "nginx:1.28"));
        var changed = await Kubectl.RunAsync("apply", "-f", file);

        Assert.True(changed.ExitCode == 0, changed.ToString());
        Assert.Contains("configmap/settings configured", changed.Stdout);
        Assert.Contains("deployment.apps/web configured", changed.Stdout);
        Assert.Contains(StandIn.Requests, r => r.Method == "PATCH" && r.Header("Content-Type") == "application/strategic-merge-patch+json");
        Assert.Equal("green", StandIn.Get(StandInResources.ConfigMaps, "default", "settings")!["data"]!["mode"]!.GetValue<string>());
        var deployment = StandIn.Get(StandInResources.Deployments, "default", "web")!;
        Assert.Equal(3, deployment["spec"]!["replicas"]!.GetValue<int>());
        var container = deployment["spec"]!["template"]!["spec"]!["containers"]![0]!;
        Assert.Equal("nginx:1.28", container["image"]!.GetValue<string>());

        // The patch named only the image: merging the containers list by name kept the port.
        Assert.Equal(80, container["ports"]![0]!["containerPort"]!.GetValue<int>());
    }

    [Fact]
    public async Task Delete_pod_removes_it()
    {
        StandIn.Create(StandInResources.Pods, StandInObjects.Pod("victim"));
        StandIn.Create(StandInResources.Pods, StandInObjects.Pod("bystander"));

        var result = await Kubectl.RunAsync("delete", "pod", "victim");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("pod \"victim\" deleted", result.Stdout);
        Assert.Null(StandIn.Get(StandInResources.Pods, "default", "victim"));
        Assert.NotNull(StandIn.Get(StandInResources.Pods, "default", "bystander"));
    }

    [Fact]
    public async Task Get_with_another_token_is_refused_as_unauthorized()
    {
        await File.WriteAllTextAsync(KubeconfigPath, StandIn.Kubeconfig(token: "agent-own-token"));

        var result = await Kubectl.RunAsync("get", "pods");

        Assert.NotEqual(0, result.ExitCode);

        // kubectl's wording for a 401 from the server.
        Assert.Contains("You must be logged in to the server", result.Stderr);
        Assert.All(StandIn.Requests, r => Assert.Equal("Bearer agent-own-token", r.Header("Authorization")));
    }
}
