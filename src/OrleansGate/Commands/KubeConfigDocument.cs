using System.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace OrleansGate.Host.Commands;

/// <summary>
/// The kubeconfig <c>orleansgate kube config</c> hands an agent: one cluster (the gateway's agent listener with the
/// target's path), one user whose token comes from an exec credential plugin (this executable's
/// <c>idp token --exec-credential</c>), and a context selecting both. It never holds a token.
/// </summary>
public static class KubeConfigDocument
{
    /// <param name="server">The agent listener, e.g. <c>https://gateway:8443</c>, without a path.</param>
    /// <param name="target">The policy's kubernetes target; the cluster's server is <c>{server}/k8s/{target}</c>.</param>
    /// <param name="caPem">PEM certificates to trust for the listener, or null for the system's trust store.</param>
    /// <param name="clientId">The client the plugin asks the identity provider for a token as.</param>
    /// <param name="plugin">How to start orleansgate.</param>
    /// <param name="configFiles">Absolute paths of the <c>--config</c> files the plugin reads (issuer, client secret).</param>
    public static string Create(Uri server, string target, string? caPem, string clientId, ExecutableInvocation plugin, IReadOnlyList<string> configFiles)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(plugin);
        ArgumentNullException.ThrowIfNull(configFiles);
        var name = "orleansgate-" + target;
        var user = "orleansgate-" + clientId;

        var cluster = new YamlMappingNode { { "server", Quoted(server.AbsoluteUri.TrimEnd('/') + "/k8s/" + Uri.EscapeDataString(target)) } };
        if (caPem is not null)
        {
            cluster.Add("certificate-authority-data", Quoted(Convert.ToBase64String(Encoding.ASCII.GetBytes(caPem))));
        }

        var args = new YamlSequenceNode([.. plugin.Arguments.Select(Quoted)]);
        foreach (var file in configFiles)
        {
            args.Add("--config");
            args.Add(Quoted(file));
        }

        foreach (var word in new[] { "idp", "token", "--client" })
        {
            args.Add(word);
        }

        args.Add(Quoted(clientId));
        args.Add("--exec-credential");

        var exec = new YamlMappingNode
        {
            { "apiVersion", ExecCredential.ApiVersion },
            { "command", Quoted(plugin.Command) },
            { "args", args },
            // Never: the plugin reads no terminal, so kubectl may run it with stdin in use (kubectl apply -f -).
            { "interactiveMode", "Never" },
            { "provideClusterInfo", "false" },
            { "installHint", Quoted($"kubectl gets its token from orleansgate at {plugin.Command}: install it there, or run 'orleansgate kube config' again where it is") },
        };

        var root = new YamlMappingNode
        {
            { "apiVersion", "v1" },
            { "kind", "Config" },
            { "clusters", new YamlSequenceNode(new YamlMappingNode { { "name", Quoted(name) }, { "cluster", cluster } }) },
            { "users", new YamlSequenceNode(new YamlMappingNode { { "name", Quoted(user) }, { "user", new YamlMappingNode { { "exec", exec } } } }) },
            {
                "contexts",
                new YamlSequenceNode(new YamlMappingNode
                {
                    { "name", Quoted(name) },
                    { "context", new YamlMappingNode { { "cluster", Quoted(name) }, { "user", Quoted(user) } } },
                })
            },
            { "current-context", Quoted(name) },
        };

        using var text = new StringWriter();
        new YamlStream(new YamlDocument(root)).Save(text, assignAnchors: false);

        // YamlStream ends every document with an explicit "..." marker; one document needs none.
        var yaml = text.ToString().TrimEnd();
        return (yaml.EndsWith("\n...", StringComparison.Ordinal) ? yaml[..^3] : yaml + "\n").ReplaceLineEndings("\n");
    }

    // Values from the command line or the file system are double-quoted, so a client id like "true" or "0123" stays a string.
    private static YamlScalarNode Quoted(string value) => new(value) { Style = ScalarStyle.DoubleQuoted };
}
