namespace OrleansGate.KubernetesApiStandIn.Tests;

public sealed class KubectlStreamingTests : StandInTest
{
    [Fact]
    public async Task Get_pods_watch_prints_a_pod_created_after_the_list()
    {
        StandIn.Create(StandInResources.Pods, StandInObjects.Pod("existing"));
        await using var watch = Kubectl.Start(["get", "pods", "-w"]);
        await watch.WaitForLineAsync(l => l.StartsWith("existing ", StringComparison.Ordinal), Kubectl.LineTimeout);

        StandIn.Create(StandInResources.Pods, StandInObjects.Pod("arrival"));

        var line = await watch.WaitForLineAsync(l => l.StartsWith("arrival ", StringComparison.Ordinal), Kubectl.LineTimeout);
        Assert.Matches(@"^arrival\s+1/1\s+Running", line);
        Assert.Contains(StandIn.Requests, r => r.Path == "/api/v1/namespaces/default/pods" && r.PathAndQuery.Contains("watch=true"));
    }

    [Fact]
    public async Task Logs_follow_prints_lines_appended_while_it_runs()
    {
        StandIn.Create(StandInResources.Pods, StandInObjects.Pod("web-1"));
        StandIn.SetLog("default", "web-1", "starting\n");
        await using var logs = Kubectl.Start(["logs", "-f", "web-1"]);
        await logs.WaitForLineAsync(l => l == "starting", Kubectl.LineTimeout);

        StandIn.AppendLog("default", "web-1", "request 1 served");
        await logs.WaitForLineAsync(l => l == "request 1 served", Kubectl.LineTimeout);
        StandIn.AppendLog("default", "web-1", "request 2 served");

        await logs.WaitForLineAsync(l => l == "request 2 served", Kubectl.LineTimeout);
    }

    [Fact]
    public async Task Exec_echo_prints_its_arguments_over_websocket_v5()
    {
        StandIn.Create(StandInResources.Pods, StandInObjects.Pod("web-1"));

        var result = await Kubectl.RunAsync("exec", "web-1", "--", "echo", "hello");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("hello", result.Stdout);
        var exec = StandIn.Requests.Single(r => r.Path.EndsWith("/exec", StringComparison.Ordinal));
        Assert.Equal("v5.channel.k8s.io", exec.Header("Sec-WebSocket-Protocol"));
        Assert.Contains("command=echo&command=hello", exec.PathAndQuery);
    }

    [Fact]
    public async Task Exec_false_exits_with_code_1()
    {
        StandIn.Create(StandInResources.Pods, StandInObjects.Pod("web-1"));

        var result = await Kubectl.RunAsync("exec", "web-1", "--", "false");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("command terminated with exit code 1", result.Stderr);
    }

    [Fact]
    public async Task Exec_cat_with_stdin_echoes_it_and_ends_when_stdin_closes()
    {
        StandIn.Create(StandInResources.Pods, StandInObjects.Pod("web-1"));

        var result = await Kubectl.RunWithInputAsync("piped through\n", "exec", "-i", "web-1", "--", "cat");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("piped through", result.Stdout);
    }

    [Fact]
    public async Task Exec_of_an_unknown_command_fails_with_command_not_found()
    {
        StandIn.Create(StandInResources.Pods, StandInObjects.Pod("web-1"));

        var result = await Kubectl.RunAsync("exec", "web-1", "--", "rm", "-rf", "/");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("command not found", result.Stderr);
    }
}
