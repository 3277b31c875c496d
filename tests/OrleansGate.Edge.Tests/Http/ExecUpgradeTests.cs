using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using OrleansGate.Edge.Http;
using OrleansGate.Kubernetes.Requests;
using OrleansGate.Policy.Loading;
using OrleansGate.Policy.Model;

namespace OrleansGate.Edge.Tests.Http;

/// <summary>The exec command as the API server reads it, its audit text, and the upgrade wrapped for output masking.</summary>
public sealed class ExecUpgradeTests
{
    private static readonly PolicyIdentity Agent = new("agent-a", ["agents"]);

    private static readonly CompiledPolicy Masked = PolicyLoader.Load(
        "rules: []\nmasks:\n  - name: pii\n    match: { targets: [cluster] }\n    detectors: [email]\n    method: partial\n    keep: 4\n", "p.yaml");

    private static KubernetesRequest Exec(string subresource = "exec") => new()
    {
        IsResourceRequest = true,
        Verb = "get",
        Path = "/api/v1/namespaces/default/pods/web-1/" + subresource,
        Resource = "pods",
        Subresource = subresource,
        Namespace = "default",
        Name = "web-1",
    };

    [Theory]
    [InlineData("?command=echo&command=hello+world&command=a%26b%2B&container=c", new[] { "echo", "hello world", "a&b+" })]
    [InlineData("?Command=sh&command=echo&COMMAND=x", new[] { "echo" })] // keys compared exactly, as Go does
    [InlineData("?comm%61nd=ls", new[] { "ls" })]
    [InlineData("?command&stdout=true", new[] { "" })]
    [InlineData("?stdout=true", new string[0])]
    [InlineData("", new string[0])]
    public void The_command_is_read_as_the_API_server_reads_it(string query, string[] argv)
    {
        Assert.Equal(argv, ExecCommand.Read(query));
    }

    [Fact]
    public void The_audited_command_has_detector_finds_replaced()
    {
        var detectors = ExecDetectors.For(Masked, Agent, "cluster");

        Assert.Equal("command: echo [email] hi", ExecCommand.AuditDetail(["echo", "alice@example.com", "hi"], detectors));
        Assert.Equal("command: echo alice@example.com", ExecCommand.AuditDetail(["echo", "alice@example.com"], ExecDetectors.For(Masked, Agent, "other")));
    }

    [Fact]
    public async Task An_exec_upgrade_to_a_channel_protocol_goes_through_the_output_filter()
    {
        var (context, upstream) = Context();
        ExecUpgradeFeature.Wrap(context, Masked, Agent, "cluster", Exec());
        context.Response.Headers.Upgrade = "websocket";
        context.Response.Headers.SecWebSocketProtocol = "v5.channel.k8s.io";

        byte[] stdout = [0x82, 0x07, 1, .. "a@b.de"u8], masked = [0x82, 0x08, 1, .. "[email]"u8];
        var stream = await context.Features.Get<IHttpUpgradeFeature>()!.UpgradeAsync();
        await stream.WriteAsync(stdout);

        Assert.IsType<ExecOutputFilter>(stream);
        Assert.Equal(masked, upstream.ToArray());
        Assert.Equal(1, context.Features.Get<ExecUpgradeFeature>()!.ValuesMasked);
    }

    [Theory]
    [InlineData("SPDY/3.1", "")]
    [InlineData("websocket", "base64.channel.k8s.io")]
    [InlineData("websocket", "")]
    public async Task An_upgrade_the_filter_cannot_read_is_refused_with_502(string upgrade, string protocol)
    {
        var (context, upstream) = Context();
        ExecUpgradeFeature.Wrap(context, Masked, Agent, "cluster", Exec("attach"));
        context.Response.StatusCode = 101;
        context.Response.Headers.Upgrade = upgrade;
        context.Response.Headers.SecWebSocketProtocol = protocol;

        await Assert.ThrowsAsync<InvalidOperationException>(() => context.Features.Get<IHttpUpgradeFeature>()!.UpgradeAsync());

        Assert.Equal(502, context.Response.StatusCode);
        Assert.False(context.Features.Get<FakeUpgrade>()!.Upgraded);
        Assert.Equal(0, upstream.Length);
    }

    [Theory]
    [InlineData("other", "exec")] // no mask applies on this target
    [InlineData("cluster", "portforward")]
    [InlineData("cluster", "log")]
    public void Without_detectors_or_for_other_subresources_the_upgrade_is_left_alone(string target, string subresource)
    {
        var (context, _) = Context();

        ExecUpgradeFeature.Wrap(context, Masked, Agent, target, Exec(subresource));

        Assert.IsType<FakeUpgrade>(context.Features.Get<IHttpUpgradeFeature>());
        Assert.Null(context.Features.Get<ExecUpgradeFeature>());
    }

    private static (DefaultHttpContext Context, MemoryStream Agent) Context()
    {
        var agent = new MemoryStream();
        var context = new DefaultHttpContext();
        var upgrade = new FakeUpgrade(agent);
        context.Features.Set<IHttpUpgradeFeature>(upgrade);
        context.Features.Set(upgrade);
        return (context, agent);
    }

    private sealed class FakeUpgrade(Stream stream) : IHttpUpgradeFeature
    {
        public bool Upgraded { get; private set; }

        public bool IsUpgradableRequest => true;

        public Task<Stream> UpgradeAsync()
        {
            Upgraded = true;
            return Task.FromResult(stream);
        }
    }
}
