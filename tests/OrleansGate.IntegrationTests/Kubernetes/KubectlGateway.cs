using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.IntegrationTests.Infrastructure;
using OrleansGate.KubernetesApiStandIn.Certificates;
using OrleansGate.KubernetesApiStandIn.Clients;

namespace OrleansGate.IntegrationTests.Kubernetes;

/// <summary>
/// A gateway node of its own cluster with an agent HTTP listener (TLS, a CA of the test's own) in front of a Kubernetes
/// API stand-in, and kubectl configured per agent to reach it: the set-up of the kubectl tests.
/// </summary>
public sealed class KubectlGateway : IAsyncDisposable
{
    private readonly GatewayFixture _fixture;
    private readonly string _files;

    private KubectlGateway(GatewayFixture fixture, KubernetesApiStandIn.KubernetesApiStandIn api, string files)
    {
        _fixture = fixture;
        Api = api;
        _files = files;
    }

    /// <summary>The rule kubectl needs before any other: reading discovery (a <c>rules:</c> item for <see cref="StartAsync"/>).</summary>
    public const string DiscoveryRule = """
          - name: discovery
            effect: allow
            reason: kubectl reads the API's discovery documents
            match: { kubernetes: { verbs: [get], non_resource_paths: ["/api", "/api/*", "/apis", "/apis/*", "/apis/*/*", "/version", "/openapi/*"] } }
        """;

    public KubernetesApiStandIn.KubernetesApiStandIn Api { get; }

    public GatewayNode Node { get; private set; } = null!;

    public int AgentPort { get; private set; }

    /// <summary>The PEM of the CA that signed the agent listener's certificate.</summary>
    public string GatewayCa { get; private set; } = "";

    /// <summary>
    /// Starts the stand-in (<paramref name="seed"/> fills it), then a node whose policy has one target, <c>cluster</c>,
    /// pointing at it, and <paramref name="targets"/> (YAML, more entries of <c>targets:</c>, indented by 2), followed by
    /// <paramref name="rules"/> (YAML, the <c>rules:</c> list's items, indented by 2).
    /// </summary>
    public static async Task<KubectlGateway> StartAsync(GatewayFixture fixture, string rules, Action<KubernetesApiStandIn.KubernetesApiStandIn> seed, string targets = "")
    {
        ArgumentNullException.ThrowIfNull(fixture);
        ArgumentNullException.ThrowIfNull(seed);
        var api = await KubernetesApiStandIn.KubernetesApiStandIn.StartAsync();
        seed(api);
        var gateway = new KubectlGateway(fixture, api, Directory.CreateTempSubdirectory("orleansgate-k8s-").FullName);
        await gateway.StartNodeAsync(rules, targets);
        return gateway;
    }

    private async Task StartNodeAsync(string rules, string targets)
    {
        await File.WriteAllTextAsync(Path.Combine(_files, "ca.pem"), Api.CaCertificatePem);
        await File.WriteAllTextAsync(Path.Combine(_files, "token"), Api.BearerToken);
        var policy = GatewaySettings.WritePolicyFile($"""
            version: k8s-tests
            targets:
              cluster:
                kind: kubernetes
                url: {Api.Url.GetLeftPart(UriPartial.Authority)}
                ca_file: {Path.Combine(_files, "ca.pem")}
                token_file: {Path.Combine(_files, "token")}
            {targets}
            rules:
            {rules}
            """);
        await StartNodeAsync(policy);
    }

    /// <summary>
    /// Starts the stand-in (empty) and a node whose policy is <paramref name="policyYaml"/> as it is, a whole policy
    /// file: for tests of other targets (SSH) that need the agent listener and not the <c>cluster</c> target.
    /// </summary>
    public static async Task<KubectlGateway> StartWithPolicyAsync(GatewayFixture fixture, string policyYaml)
    {
        ArgumentNullException.ThrowIfNull(fixture);
        var api = await KubernetesApiStandIn.KubernetesApiStandIn.StartAsync();
        var gateway = new KubectlGateway(fixture, api, Directory.CreateTempSubdirectory("orleansgate-k8s-").FullName);
        await gateway.StartNodeAsync(GatewaySettings.WritePolicyFile(policyYaml));
        return gateway;
    }

    private async Task StartNodeAsync(string policy)
    {
        // kubectl sends its token over TLS only: the agent listener gets a certificate of a CA of the test's own.
        using var authority = StandInCertificateAuthority.Create();
        using var listener = authority.IssueServerCertificate();
        await File.WriteAllTextAsync(Path.Combine(_files, "gateway.pem"), listener.ExportCertificatePem());
        await File.WriteAllTextAsync(Path.Combine(_files, "gateway.key"), listener.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        GatewayCa = authority.CertificatePem;
        AgentPort = FreePort.Next();
        var overrides = GatewaySettings.OwnCluster("k8s");
        overrides["OrleansGate:Policy:File"] = policy;
        overrides["OrleansGate:AgentHttp:Port"] = AgentPort.ToString(CultureInfo.InvariantCulture);
        overrides["OrleansGate:AgentHttp:Tls:CertificatePath"] = Path.Combine(_files, "gateway.pem");
        overrides["OrleansGate:AgentHttp:Tls:KeyPath"] = Path.Combine(_files, "gateway.key");
        Node = await GatewayNode.StartAsync(_fixture.Settings.OtherNode("k8s-node", overrides));
    }

    /// <summary>kubectl with a kubeconfig of its own: the listener's <c>cluster</c> target, a token of <paramref name="client"/>.</summary>
    public async Task<Kubectl> KubectlAsync(string client) => (await KubectlWithTokenAsync(client)).Kubectl;

    /// <summary>As <see cref="KubectlAsync"/>, with the token its kubeconfig holds (tests check it never lands anywhere).</summary>
    public async Task<(Kubectl Kubectl, string Token)> KubectlWithTokenAsync(string client)
    {
        var token = await _fixture.Node.GetTokenAsync(client);
        var home = Directory.CreateTempSubdirectory("orleansgate-kubectl-").FullName;
        var kubeconfig = Path.Combine(home, "config");
        await File.WriteAllTextAsync(kubeconfig, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: gateway
              cluster:
                server: https://127.0.0.1:{AgentPort}/k8s/cluster
                certificate-authority-data: {Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(GatewayCa))}
            users:
            - name: agent
              user:
                token: {token}
            contexts:
            - name: gateway
              context:
                cluster: gateway
                user: agent
                namespace: default
            current-context: gateway

            """);
        return (new Kubectl(kubeconfig, home), token);
    }

    /// <summary>An HTTP client of the agent listener (<c>https://127.0.0.1:PORT/</c>) that trusts the test's CA alone.</summary>
    /// <remarks>It closes a connection whose answer it stopped reading at once (no <c>ResponseDrainTimeout</c>), as an agent going away does.</remarks>
    public HttpClient AgentHttpClient()
    {
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.ImportFromPem(GatewayCa);
        return new HttpClient(new SocketsHttpHandler { SslOptions = { CertificateChainPolicy = policy }, ResponseDrainTimeout = TimeSpan.Zero })
        {
            BaseAddress = new Uri($"https://127.0.0.1:{AgentPort}/"),
        };
    }

    public async ValueTask DisposeAsync()
    {
        if (Node is not null)
        {
            await Node.DisposeAsync();
        }

        await Api.DisposeAsync();
    }
}
