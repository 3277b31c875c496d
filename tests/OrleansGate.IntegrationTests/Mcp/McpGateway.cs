using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using ModelContextProtocol.Client;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.IntegrationTests.Infrastructure;
using OrleansGate.KubernetesApiStandIn.Certificates;
using OrleansGate.KubernetesApiStandIn.Clients;

namespace OrleansGate.IntegrationTests.Mcp;

/// <summary>
/// A gateway node of its own cluster with the agent HTTP listener (TLS of a test CA, so <c>/mcp</c> is served over
/// HTTPS) and a PostgreSQL listener with the same certificate, in front of the collection's <c>demo</c> database and a
/// Kubernetes API stand-in (<c>cluster</c>); agent-a's policy is SQL (a masked column, a deny rule, an approve rule),
/// agent-b's is Kubernetes reads only. MCP clients are the SDK's own, over streamable HTTP.
/// </summary>
public sealed class McpGateway : IAsyncDisposable
{
    public const string MaskedEmail = "mcp.hidden@example.com";

    private readonly GatewayFixture _fixture;
    private readonly string _files;

    private McpGateway(GatewayFixture fixture, KubernetesApiStandIn.KubernetesApiStandIn api, string files)
    {
        _fixture = fixture;
        Api = api;
        _files = files;
    }

    public KubernetesApiStandIn.KubernetesApiStandIn Api { get; }

    public GatewayNode Node { get; private set; } = null!;

    public int AgentPort { get; private set; }

    public string GatewayCa { get; private set; } = "";

    public Uri McpUrl => new($"https://127.0.0.1:{AgentPort}/mcp");

    public static async Task<McpGateway> StartAsync(GatewayFixture fixture)
    {
        ArgumentNullException.ThrowIfNull(fixture);
        // The collection's demo database, tables of these tests' own (created once, reset per gateway).
        await fixture.Postgres.ExecuteAsync("demo", """
            CREATE TABLE IF NOT EXISTS mcp_customers (id integer PRIMARY KEY, name text NOT NULL, email text NOT NULL);
            CREATE TABLE IF NOT EXISTS mcp_notes (id integer PRIMARY KEY, body text NOT NULL);
            TRUNCATE mcp_customers, mcp_notes;
            INSERT INTO mcp_customers VALUES (1, 'Ada', 'mcp.hidden@example.com');
            INSERT INTO mcp_notes VALUES (1, 'before');
            GRANT SELECT, INSERT, UPDATE, DELETE ON mcp_customers, mcp_notes TO gateway_demo;
            """);
        var api = await KubernetesApiStandIn.KubernetesApiStandIn.StartAsync();
        api.Create(KubernetesApiStandIn.StandInResources.Pods, KubernetesApiStandIn.StandInObjects.Pod("web-1"));
        var gateway = new McpGateway(fixture, api, Directory.CreateTempSubdirectory("orleansgate-mcp-").FullName);
        await gateway.StartNodeAsync();
        return gateway;
    }

    private async Task StartNodeAsync()
    {
        await File.WriteAllTextAsync(Path.Combine(_files, "ca.pem"), Api.CaCertificatePem);
        await File.WriteAllTextAsync(Path.Combine(_files, "token"), Api.BearerToken);
        var policy = GatewaySettings.WritePolicyFile($$"""
            version: mcp-tests
            targets:
              cluster:
                kind: kubernetes
                url: {{Api.Url.GetLeftPart(UriPartial.Authority)}}
                ca_file: {{Path.Combine(_files, "ca.pem")}}
                token_file: {{Path.Combine(_files, "token")}}
            masks:
              - name: mcp-pii
                match: { subjects: [{{GatewaySettings.AgentClientId}}] }
                columns: [public.mcp_customers.email]
                method: redact
            rules:
              - name: sql-reads
                effect: allow
                reason: agent-a reads the demo tables
                match: { subjects: [{{GatewaySettings.AgentClientId}}], kinds: [read] }
              - name: no-ddl
                effect: deny
                reason: agents never change the schema
                match: { subjects: [{{GatewaySettings.AgentClientId}}], kinds: [ddl] }
              - name: note-updates-wait
                effect: approve
                reason: changing rows needs a human
                match: { subjects: [{{GatewaySettings.AgentClientId}}], kinds: [write] }
                approval: { approvers: { groups: [{{GatewaySettings.ApproverGroup}}] }, mode: wait, timeout: 90s }
              - name: pod-reads
                effect: allow
                reason: agent-b reads pods
                match: { subjects: [{{GatewaySettings.OtherClientId}}], kubernetes: { verbs: [get, list], resources: [pods] } }
            """);

        using var authority = StandInCertificateAuthority.Create();
        using var listener = authority.IssueServerCertificate();
        var certificate = Path.Combine(_files, "gateway.pem");
        var key = Path.Combine(_files, "gateway.key");
        await File.WriteAllTextAsync(certificate, listener.ExportCertificatePem());
        await File.WriteAllTextAsync(key, listener.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        GatewayCa = authority.CertificatePem;
        AgentPort = FreePort.Next();
        var overrides = GatewaySettings.OwnCluster("mcp");
        overrides["OrleansGate:Policy:File"] = policy;
        overrides["OrleansGate:AgentHttp:Port"] = AgentPort.ToString(CultureInfo.InvariantCulture);
        overrides["OrleansGate:AgentHttp:Tls:CertificatePath"] = certificate;
        overrides["OrleansGate:AgentHttp:Tls:KeyPath"] = key;

        // The tools reach the PostgreSQL listener over TLS, trusting its own certificate alone.
        overrides["OrleansGate:Postgres:Tls:CertificatePath"] = certificate;
        overrides["OrleansGate:Postgres:Tls:KeyPath"] = key;
        overrides["OrleansGate:Mcp:ProgressInterval"] = "00:00:01";
        Node = await GatewayNode.StartAsync(_fixture.Settings.OtherNode("mcp-node", overrides));
    }

    /// <summary>An HTTP client of the agent listener that trusts the test's CA alone.</summary>
    public HttpClient AgentHttpClient()
    {
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.ImportFromPem(GatewayCa);
        return new HttpClient(new SocketsHttpHandler { SslOptions = { CertificateChainPolicy = policy } })
        {
            BaseAddress = new Uri($"https://127.0.0.1:{AgentPort}/"),
            Timeout = TimeSpan.FromSeconds(120),
        };
    }

    /// <summary>The SDK's MCP client over streamable HTTP, with a token of <paramref name="clientId"/>.</summary>
    public async Task<McpClient> ClientAsync(string clientId) => await ClientWithTokenAsync(await _fixture.Node.GetTokenAsync(clientId));

    /// <summary>The same with <paramref name="token"/> as it is (a forged one, say).</summary>
    public async Task<McpClient> ClientWithTokenAsync(string token)
    {
        var transport = new HttpClientTransport(
            new HttpClientTransportOptions
            {
                Endpoint = McpUrl,
                TransportMode = HttpTransportMode.StreamableHttp,
                AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = "Bearer " + token },
            },
            AgentHttpClient(),
            loggerFactory: null,
            ownsHttpClient: true);
        return await McpClient.CreateAsync(transport);
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
