using System.Text;
using OrleansGate.Host.Commands;
using YamlDotNet.RepresentationModel;

namespace OrleansGate.Tests.Commands;

public sealed class KubeConfigDocumentTests
{
    private const string CaPem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

    private static readonly ExecutableInvocation AppHost = new("/opt/orleansgate/orleansgate", []);

    [Fact]
    public void Parsed_back_it_names_the_targets_path_the_ca_and_an_exec_plugin_and_selects_them()
    {
        var root = Parse(KubeConfigDocument.Create(new Uri("https://gateway:8443/"), "prod", CaPem, "agent-a", AppHost, ["/etc/orleansgate/a.json", "/etc/orleansgate/b.json"]));

        Assert.Equal("v1", Scalar(root, "apiVersion"));
        Assert.Equal("Config", Scalar(root, "kind"));
        var cluster = Single(root, "clusters");
        Assert.Equal("https://gateway:8443/k8s/prod", Scalar(Map(cluster, "cluster"), "server"));
        Assert.Equal(CaPem, Encoding.ASCII.GetString(Convert.FromBase64String(Scalar(Map(cluster, "cluster"), "certificate-authority-data"))));

        var user = Single(root, "users");
        var exec = Map(Map(user, "user"), "exec");
        Assert.Equal("client.authentication.k8s.io/v1", Scalar(exec, "apiVersion"));
        Assert.Equal("/opt/orleansgate/orleansgate", Scalar(exec, "command"));
        Assert.Equal(
            ["--config", "/etc/orleansgate/a.json", "--config", "/etc/orleansgate/b.json", "idp", "token", "--client", "agent-a", "--exec-credential"],
            Strings(exec, "args"));
        Assert.Equal("Never", Scalar(exec, "interactiveMode"));
        Assert.Equal("false", Scalar(exec, "provideClusterInfo"));
        Assert.Single(Map(user, "user").Children); // exec only: no token, no client key

        var context = Single(root, "contexts");
        Assert.Equal(Scalar(cluster, "name"), Scalar(Map(context, "context"), "cluster"));
        Assert.Equal(Scalar(user, "name"), Scalar(Map(context, "context"), "user"));
        Assert.Equal(Scalar(context, "name"), Scalar(root, "current-context"));
    }

    [Fact]
    public void Without_a_ca_there_is_no_certificate_authority_data_so_kubectl_uses_the_system_trust()
    {
        var root = Parse(KubeConfigDocument.Create(new Uri("https://gateway.example"), "prod", null, "agent-a", AppHost, []));

        var cluster = Map(Single(root, "clusters"), "cluster");
        Assert.Equal("https://gateway.example/k8s/prod", Scalar(cluster, "server"));
        Assert.False(cluster.Children.ContainsKey("certificate-authority-data"));
        Assert.DoesNotContain("--config", Strings(Map(Map(Single(root, "users"), "user"), "exec"), "args"));
    }

    [Fact]
    public void Under_dotnet_the_dll_comes_before_the_global_options_and_the_verb()
    {
        var plugin = new ExecutableInvocation("/usr/share/dotnet/dotnet", ["/opt/orleansgate/orleansgate.dll"]);

        var root = Parse(KubeConfigDocument.Create(new Uri("https://gateway:8443"), "prod", null, "agent-a", plugin, ["/etc/og.json"]));

        var exec = Map(Map(Single(root, "users"), "user"), "exec");
        Assert.Equal("/usr/share/dotnet/dotnet", Scalar(exec, "command"));
        Assert.Equal(["/opt/orleansgate/orleansgate.dll", "--config", "/etc/og.json", "idp", "token", "--client", "agent-a", "--exec-credential"], Strings(exec, "args"));
    }

    [Theory]
    [InlineData("true")]
    [InlineData("0123")]
    [InlineData("null")]
    [InlineData("a: b # c")]
    public void Values_that_read_as_other_yaml_types_stay_strings(string clientId)
    {
        var text = KubeConfigDocument.Create(new Uri("https://gateway:8443"), "prod", null, clientId, AppHost, []);

        var exec = Map(Map(Single(Parse(text), "users"), "user"), "exec");
        var client = (YamlScalarNode)((YamlSequenceNode)exec["args"]).Children[3];
        Assert.Equal(clientId, client.Value);
        Assert.NotEqual(YamlDotNet.Core.ScalarStyle.Plain, client.Style);
    }

    [Fact]
    public void A_target_name_is_one_path_segment()
    {
        var root = Parse(KubeConfigDocument.Create(new Uri("https://gateway:8443"), "a/../b", null, "agent-a", AppHost, []));

        Assert.Equal("https://gateway:8443/k8s/a%2F..%2Fb", Scalar(Map(Single(root, "clusters"), "cluster"), "server"));
    }

    [Fact]
    public void The_text_is_one_document_without_an_end_marker()
    {
        var text = KubeConfigDocument.Create(new Uri("https://gateway:8443"), "prod", null, "agent-a", AppHost, []);

        Assert.EndsWith("current-context: \"orleansgate-prod\"\n", text, StringComparison.Ordinal);
    }

    private static YamlMappingNode Parse(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return (YamlMappingNode)Assert.Single(stream.Documents).RootNode;
    }

    private static YamlMappingNode Single(YamlMappingNode node, string key) => (YamlMappingNode)Assert.Single(((YamlSequenceNode)node[key]).Children);

    private static YamlMappingNode Map(YamlMappingNode node, string key) => (YamlMappingNode)node[key];

    private static string Scalar(YamlMappingNode node, string key) => ((YamlScalarNode)node[key]).Value!;

    private static string[] Strings(YamlMappingNode node, string key) => [.. ((YamlSequenceNode)node[key]).Children.Select(c => ((YamlScalarNode)c).Value!)];
}
