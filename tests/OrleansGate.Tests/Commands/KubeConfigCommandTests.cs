using System.Text.Json.Nodes;
using OrleansGate.Host.Commands;
using YamlDotNet.RepresentationModel;

namespace OrleansGate.Tests.Commands;

/// <summary><c>orleansgate kube config</c> through the command line, as an operator runs it.</summary>
public sealed class KubeConfigCommandTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("orleansgate-kubeconfig-");
    private readonly string _config;

    public KubeConfigCommandTests()
    {
        var policy = Path.Combine(_directory.FullName, "policy.yaml");
        File.WriteAllText(policy, """
            version: kubeconfig-tests
            targets:
              prod:
                kind: kubernetes
                url: https://kube.internal:6443
                token_env: KUBE_TOKEN
              web:
                kind: http
                url: https://web.internal
                token_env: WEB_TOKEN
            rules:
              - name: reads
                effect: allow
                reason: tests
                match: { kubernetes: { verbs: [get] } }
            """);
        _config = Path.Combine(_directory.FullName, "orleansgate.json");
        File.WriteAllText(_config, new JsonObject
        {
            ["OrleansGate"] = new JsonObject
            {
                ["Policy"] = new JsonObject { ["File"] = policy },
                ["DevIdp"] = new JsonObject
                {
                    ["Issuer"] = "http://127.0.0.1:9/oauth2/default",
                    ["Clients"] = new JsonArray(new JsonObject { ["ClientId"] = "agent-a", ["ClientSecret"] = "not-in-the-kubeconfig" }),
                },
            },
        }.ToJsonString());
    }

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public async Task Printed_config_runs_this_executable_with_the_absolute_config_and_the_only_configured_client()
    {
        var (exitCode, stdout, stderr) = await RunAsync("--config", Path.GetRelativePath(Environment.CurrentDirectory, _config), "kube", "config", "--target", "prod", "--server", "https://gateway:8443");

        Assert.True(exitCode == 0, stderr);
        Assert.DoesNotContain("not-in-the-kubeconfig", stdout, StringComparison.Ordinal);
        var stream = new YamlStream();
        stream.Load(new StringReader(stdout));
        var exec = (YamlMappingNode)((YamlMappingNode)((YamlMappingNode)((YamlSequenceNode)((YamlMappingNode)stream.Documents[0].RootNode)["users"]).Children[0])["user"])["exec"];
        var args = ((YamlSequenceNode)exec["args"]).Children.Select(c => ((YamlScalarNode)c).Value).ToList();
        Assert.Equal(["--config", _config, "idp", "token", "--client", "agent-a", "--exec-credential"], args[^7..]);
        Assert.True(Path.IsPathFullyQualified(((YamlScalarNode)exec["command"]).Value!));
    }

    [Theory]
    [InlineData("http://gateway:8443", "plain http")]
    [InlineData("gateway:8443", "not an absolute https URL")]
    [InlineData("ftp://gateway", "not an absolute https URL")]
    [InlineData("https://user:pw@gateway:8443", "credentials")]
    [InlineData("https://gateway:8443/?x=1", "query")]
    public async Task A_bad_server_is_refused_with_2(string server, string message)
    {
        var (exitCode, stdout, stderr) = await RunAsync("--config", _config, "kube", "config", "--target", "prod", "--server", server);

        Assert.Equal(2, exitCode);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
        Assert.Equal("", stdout);
    }

    [Fact]
    public async Task Plain_http_is_taken_with_insecure()
    {
        var (exitCode, stdout, stderr) = await RunAsync("--config", _config, "kube", "config", "--target", "prod", "--server", "http://127.0.0.1:8080", "--insecure");

        Assert.True(exitCode == 0, stderr);
        Assert.Contains("server: \"http://127.0.0.1:8080/k8s/prod\"", stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("staging")]
    [InlineData("web")]
    public async Task A_name_that_is_not_a_kubernetes_target_of_the_policy_is_refused_with_2(string target)
    {
        var (exitCode, stdout, stderr) = await RunAsync("--config", _config, "kube", "config", "--target", target, "--server", "https://gateway:8443");

        Assert.Equal(2, exitCode);
        Assert.Contains($"target '{target}' is not a kubernetes target", stderr, StringComparison.Ordinal);
        Assert.Contains("its kubernetes targets: prod", stderr, StringComparison.Ordinal);
        Assert.Equal("", stdout);
    }

    [Fact]
    public async Task An_existing_output_is_refused_with_2_and_kept_unless_force()
    {
        var output = Path.Combine(_directory.FullName, "kubeconfig");
        await File.WriteAllTextAsync(output, "mine");

        var refused = await RunAsync("--config", _config, "kube", "config", "--target", "prod", "--server", "https://gateway:8443", "--output", output);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("--force", refused.Stderr, StringComparison.Ordinal);
        Assert.Equal("mine", await File.ReadAllTextAsync(output));

        var forced = await RunAsync("--config", _config, "kube", "config", "--target", "prod", "--server", "https://gateway:8443", "--output", output, "--force");
        Assert.True(forced.ExitCode == 0, forced.Stderr);
        Assert.StartsWith("apiVersion: v1\n", await File.ReadAllTextAsync(output), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_new_output_file_is_the_owners_alone()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Unix file modes
        }

        var output = Path.Combine(_directory.FullName, "new-kubeconfig");

        var (exitCode, _, stderr) = await RunAsync("--config", _config, "kube", "config", "--target", "prod", "--server", "https://gateway:8443", "--output", output);

        Assert.True(exitCode == 0, stderr);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(output));
    }

    [Fact]
    public async Task A_ca_file_is_carried_as_certificate_authority_data()
    {
        using var key = System.Security.Cryptography.ECDsa.Create();
        using var certificate = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=gateway-ca", key, System.Security.Cryptography.HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddHours(1));
        var ca = Path.Combine(_directory.FullName, "ca.pem");
        await File.WriteAllTextAsync(ca, certificate.ExportCertificatePem());

        var (exitCode, stdout, stderr) = await RunAsync("--config", _config, "kube", "config", "--target", "prod", "--server", "https://gateway:8443", "--ca-file", ca);

        Assert.True(exitCode == 0, stderr);
        Assert.Contains($"certificate-authority-data: \"{Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(certificate.ExportCertificatePem()))}\"", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_ca_file_without_a_certificate_is_refused_with_2()
    {
        var ca = Path.Combine(_directory.FullName, "ca.pem");
        await File.WriteAllTextAsync(ca, "not a certificate");

        var (exitCode, _, stderr) = await RunAsync("--config", _config, "kube", "config", "--target", "prod", "--server", "https://gateway:8443", "--ca-file", ca);

        Assert.Equal(2, exitCode);
        Assert.Contains("holds no PEM certificate", stderr, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exitCode = await CommandLine.RunAsync(args, stdout, stderr, CancellationToken.None);
        return (exitCode, stdout.ToString(), stderr.ToString());
    }
}
