using System.Globalization;
using System.Security.Cryptography;
using OrleansGate.IntegrationTests.Infrastructure;

namespace OrleansGate.IntegrationTests.Fixtures;

/// <summary>Everything a test node needs, kept so the same node can be started again (restart tests).</summary>
public sealed class GatewaySettings
{
    public const string TargetName = "demo";
    public const string AgentClientId = "agent-a";
    public const string OtherClientId = "agent-b";

    /// <summary>Revocation tests use their own agent so other tests never see it revoked.</summary>
    public const string RevocableClientId = "agent-r";

    /// <summary>People who approve (group <see cref="ApproverGroup"/>) and one who does not (dave), for the approval tests.</summary>
    public static readonly IReadOnlyList<string> Approvers = ["alice", "bob", "carol"];

    public const string NonApprover = "dave";

    public const string ApproverGroup = "dba";

    private readonly Dictionary<string, string> _clientSecrets;

    public required string StateConnectionString { get; init; }

    public required int TargetPort { get; init; }

    public required string TargetPassword { get; init; }

    public string ClusterId { get; init; } = "test-" + Guid.NewGuid().ToString("N")[..8];

    public string KeyDirectory { get; init; } = Directory.CreateTempSubdirectory("orleansgate-keys-").FullName;

    public int HttpPort { get; init; } = FreePort.Next();

    public int PostgresPort { get; init; } = FreePort.Next();

    public int SiloPort { get; init; } = FreePort.Next();

    public int GatewayPort { get; init; } = FreePort.Next();

    public string NodeName { get; init; } = "test-node";

    /// <summary>HTTP port of the node whose development IdP issues the tokens (this node's own by default).</summary>
    public int? IssuerPort { get; init; }

    public bool DevIdpEnabled { get; init; } = true;

    /// <summary>Lifetime of tokens the development IdP issues; its default (15 minutes) when null.</summary>
    public TimeSpan? TokenLifetime { get; init; }

    /// <summary>
    /// The policy file the node applies at start (OrleansGate:Policy:File). Default: an explicit allow-all
    /// policy, because a node without a policy refuses every statement and most tests exercise the relay,
    /// not the policy. Null: no policy configured.
    /// </summary>
    public string? PolicyFile { get; init; } = WritePolicyFile(AllowAllPolicy);

    /// <summary>Every kind and every dangerous function group allowed; rule name <c>allow-all</c>.</summary>
    public const string AllowAllPolicy = """
        # Integration tests' default: every statement allowed, yet still decided and audited.
        version: tests-allow-all
        rules:
          - name: allow-all
            effect: allow
            reason: integration tests of the relay allow everything
            match:
              kinds: [read, write, ddl, privilege, role_change, procedural, transaction, admin, session, lock, other]
              function_groups: [file_access, large_objects, dblink, signal, dynamic_sql, config, admin, program, non_builtin]
        """;

    /// <summary>Writes policy text to a new temporary file and returns its path.</summary>
    public static string WritePolicyFile(string yaml)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("orleansgate-policy-").FullName, "policy.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    /// <summary>Custom claims the development IdP puts in a client's tokens (client id → claim name → value).</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> ClientClaims { get; init; } = new Dictionary<string, IReadOnlyDictionary<string, string>>();

    /// <summary>Configuration entries applied last (e.g. the Postgres listener's TLS settings).</summary>
    public IReadOnlyDictionary<string, string?> Overrides { get; init; } = new Dictionary<string, string?>();

    public string Issuer => $"http://127.0.0.1:{IssuerPort ?? HttpPort}/oauth2/default";

    public string Audience => "api://orleansgate";

    public string ClientSecret(string clientId) => _clientSecrets[clientId];

    /// <summary>An Npgsql connection string to this node's PostgreSQL listener (in this process or in a <see cref="NodeProcess"/>).</summary>
    /// <remarks>
    /// Npgsql gives up on a cancelled command whose answer takes over its Cancellation Timeout (2 s by default) and breaks
    /// the connection with a TimeoutException; a two-core CI machine in a long GC pause can exceed that, so tests that
    /// assert the 57014 itself wait longer. How fast a cancel lands is asserted by the tests that measure it.
    /// </remarks>
    public string ConnectionString(string token, string database = TargetName, string user = AgentClientId) =>
        $"Host=127.0.0.1;Port={PostgresPort};Database={database};Username={user};Password={token};SSL Mode=Disable;Pooling=false;Timeout=15;Command Timeout=30;Cancellation Timeout=30000";

    /// <summary>
    /// Overrides for a cluster of its own in the same state database: its own cluster id and its own service id. Orleans
    /// keys grain state by service id, so a second cluster with only a new cluster id would activate the same agent,
    /// directory and policy grains over the same rows as the collection's cluster, and each would refuse the other's
    /// writes with a version conflict.
    /// </summary>
    public static Dictionary<string, string?> OwnCluster(string prefix)
    {
        var id = prefix + "-" + Guid.NewGuid().ToString("N")[..8];
        return new Dictionary<string, string?> { ["OrleansGate:Cluster:ClusterId"] = id, ["OrleansGate:Cluster:ServiceId"] = id };
    }

    /// <summary>Another process of the same cluster: same state database, target and token issuer, its own ports.</summary>
    public GatewaySettings OtherNode(string nodeName, IReadOnlyDictionary<string, string?>? overrides = null) => new(_clientSecrets)
    {
        Overrides = overrides ?? new Dictionary<string, string?>(),
        StateConnectionString = StateConnectionString,
        TargetPort = TargetPort,
        TargetPassword = TargetPassword,
        ClusterId = ClusterId,
        KeyDirectory = KeyDirectory,
        NodeName = nodeName,
        IssuerPort = IssuerPort ?? HttpPort,
        DevIdpEnabled = false,
        PolicyFile = PolicyFile,
        ClientClaims = ClientClaims,
    };

    public GatewaySettings()
        : this(new Dictionary<string, string>
        {
            [AgentClientId] = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)),
            [OtherClientId] = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)),
            [RevocableClientId] = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)),
            ["alice"] = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)),
            ["bob"] = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)),
            ["carol"] = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)),
            [NonApprover] = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)),
        })
    {
    }

    private GatewaySettings(Dictionary<string, string> clientSecrets) => _clientSecrets = clientSecrets;

    public IEnumerable<KeyValuePair<string, string?>> ToConfiguration()
    {
        var s = new Dictionary<string, string?>
        {
            ["OrleansGate:NodeName"] = NodeName,
            ["OrleansGate:StateDatabase"] = StateConnectionString,
            ["OrleansGate:Cluster:ClusterId"] = ClusterId,
            ["OrleansGate:Cluster:SiloPort"] = Text(SiloPort),
            ["OrleansGate:Cluster:GatewayPort"] = Text(GatewayPort),
            ["OrleansGate:Http:Port"] = Text(HttpPort),
            ["OrleansGate:Postgres:Port"] = Text(PostgresPort),
            ["OrleansGate:Postgres:Insecure"] = "true",
            ["OrleansGate:Identity:Issuers:0:Issuer"] = Issuer,
            ["OrleansGate:Identity:Issuers:0:Audiences:0"] = Audience,
            ["OrleansGate:Identity:Issuers:0:RequireHttps"] = "false",
            ["OrleansGate:DevIdp:Enabled"] = DevIdpEnabled ? "true" : "false",
            ["OrleansGate:DevIdp:Issuer"] = Issuer,
            ["OrleansGate:DevIdp:Audience"] = Audience,
            ["OrleansGate:DevIdp:KeyDirectory"] = KeyDirectory,
            ["OrleansGate:Targets:demo:Host"] = "127.0.0.1",
            ["OrleansGate:Targets:demo:Port"] = Text(TargetPort),
            ["OrleansGate:Targets:demo:Database"] = "demo",
            ["OrleansGate:Targets:demo:Username"] = "gateway_demo",
            ["OrleansGate:Targets:demo:Password"] = TargetPassword,
            ["OrleansGate:Audit:SigningKeyPath"] = TestAuditKeys.SharedPrivate,

            // Approvers' tokens come from the same development IdP; their groups say who may decide.
            ["OrleansGate:Approvals:Identity:Issuers:0:Issuer"] = Issuer,
            ["OrleansGate:Approvals:Identity:Issuers:0:Audiences:0"] = Audience,
            ["OrleansGate:Approvals:Identity:Issuers:0:RequireHttps"] = "false",
            ["OrleansGate:Approvals:PageUrl"] = $"http://127.0.0.1:{Text(HttpPort)}/approvals",
        };
        if (PolicyFile is not null)
        {
            s["OrleansGate:Policy:File"] = PolicyFile;
        }

        if (TokenLifetime is { } lifetime)
        {
            s["OrleansGate:DevIdp:TokenLifetime"] = lifetime.ToString("c", CultureInfo.InvariantCulture);
        }

        foreach (var (key, value) in Overrides)
        {
            s[key] = value;
        }

        var i = 0;
        foreach (var (client, secret) in _clientSecrets)
        {
            s[$"OrleansGate:DevIdp:Clients:{i}:ClientId"] = client;
            s[$"OrleansGate:DevIdp:Clients:{i}:ClientSecret"] = secret;
            s[$"OrleansGate:DevIdp:Clients:{i}:Groups:0"] = Approvers.Contains(client) ? ApproverGroup : client == NonApprover ? "ops" : "developers";
            foreach (var (name, value) in ClientClaims.GetValueOrDefault(client) ?? new Dictionary<string, string>())
            {
                s[$"OrleansGate:DevIdp:Clients:{i}:Claims:{name}"] = value;
            }

            i++;
        }

        return s;
    }

    /// <summary>Writes the settings as the JSON file the CLI reads with --config.</summary>
    public string WriteConfigFile()
    {
        var root = new System.Text.Json.Nodes.JsonObject();
        foreach (var (key, value) in ToConfiguration())
        {
            var node = root;
            var parts = key.Split(':');
            foreach (var part in parts[..^1])
            {
                node = (System.Text.Json.Nodes.JsonObject)(node[part] ??= new System.Text.Json.Nodes.JsonObject());
            }

            node[parts[^1]] = value;
        }

        var path = Path.Combine(Directory.CreateTempSubdirectory("orleansgate-config-").FullName, "orleansgate.json");
        File.WriteAllText(path, root.ToJsonString());
        return path;
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
