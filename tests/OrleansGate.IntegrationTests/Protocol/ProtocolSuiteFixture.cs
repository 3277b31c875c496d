using System.Globalization;
using OrleansGate.Host.Hosting;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.IntegrationTests.Infrastructure;

namespace OrleansGate.IntegrationTests.Protocol;

/// <summary>
/// The wire-protocol suite's cluster: a real PostgreSQL and a gateway node (plain text, default limits), plus
/// two edge nodes of the same cluster — one with TLS, one with small limits, a short authentication timeout
/// and a target that is a <see cref="MisbehavingUpstreamStandIn"/>.
/// </summary>
public sealed class ProtocolSuiteFixture : IAsyncLifetime
{
    public const string StandInTarget = "standin";

    /// <summary>Client message cap after authentication on <see cref="LimitsEdge"/>.</summary>
    public const int SmallMessageCap = 64 * 1024;

    /// <summary>Upstream message cap on <see cref="LimitsEdge"/>.</summary>
    public const int SmallUpstreamCap = 1 << 20;

    public static readonly TimeSpan ShortAuthenticationTimeout = TimeSpan.FromSeconds(3);

    private string? _token;
    private DateTimeOffset _tokenFetched;

    public GatewayFixture Gateway { get; } = new();

    public TestCertificates Certificates { get; } = TestCertificates.Create();

    public MisbehavingUpstreamStandIn StandIn { get; private set; } = null!;

    /// <summary>TLS required (plain text refused), certificate from <see cref="Certificates"/>.</summary>
    public GatewayNode TlsEdge { get; private set; } = null!;

    public GatewayNode LimitsEdge { get; private set; } = null!;

    public GatewayNode Node => Gateway.Node;

    public async Task InitializeAsync()
    {
        await Gateway.InitializeAsync();
        StandIn = MisbehavingUpstreamStandIn.Start();
        TlsEdge = await GatewayNode.StartAsync(
            Gateway.Settings.OtherNode("tls-edge", new Dictionary<string, string?>
            {
                ["OrleansGate:Postgres:Insecure"] = "false",
                ["OrleansGate:Postgres:Tls:CertificatePath"] = Certificates.CertificatePath,
                ["OrleansGate:Postgres:Tls:KeyPath"] = Certificates.KeyPath,
            }),
            GatewayRole.Edge);
        LimitsEdge = await GatewayNode.StartAsync(
            Gateway.Settings.OtherNode("limits-edge", new Dictionary<string, string?>
            {
                ["OrleansGate:Postgres:AuthenticationTimeout"] = ShortAuthenticationTimeout.ToString("c", CultureInfo.InvariantCulture),
                ["OrleansGate:Postgres:MaxMessageLength"] = SmallMessageCap.ToString(CultureInfo.InvariantCulture),
                ["OrleansGate:Postgres:MaxMessageLengthBeforeAuthentication"] = SmallMessageCap.ToString(CultureInfo.InvariantCulture),
                ["OrleansGate:Postgres:MaxUpstreamMessageLength"] = SmallUpstreamCap.ToString(CultureInfo.InvariantCulture),
                [$"OrleansGate:Targets:{StandInTarget}:Host"] = "127.0.0.1",
                [$"OrleansGate:Targets:{StandInTarget}:Port"] = StandIn.Port.ToString(CultureInfo.InvariantCulture),
                [$"OrleansGate:Targets:{StandInTarget}:Database"] = "standin",
                [$"OrleansGate:Targets:{StandInTarget}:Username"] = "gateway",
            }),
            GatewayRole.Edge);

        // pgbench's tables, created directly on the target (as pgbench -i would) and handed to the gateway's role.
        var init = await ExternalCommand.RunAsync(
            "pgbench",
            ["-i", "-s", "1", "-I", "dtgp", "-q", "-h", "127.0.0.1", "-p", Gateway.Postgres.Port.ToString(CultureInfo.InvariantCulture), "-U", "postgres", "demo"],
            TimeSpan.FromSeconds(120),
            environment: new Dictionary<string, string> { ["PGPASSWORD"] = Gateway.Postgres.SuperuserPassword });
        if (init.ExitCode != 0)
        {
            throw new InvalidOperationException(init.ToString());
        }

        await Gateway.Postgres.ExecuteAsync("demo", """
            GRANT SELECT, INSERT, UPDATE, DELETE ON pgbench_accounts, pgbench_branches, pgbench_tellers, pgbench_history TO gateway_demo;
            CREATE TABLE copy_target (id integer PRIMARY KEY, note text, amount numeric(10, 2));
            GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON copy_target TO gateway_demo;
            """);
    }

    /// <summary>A token for the agent, reused for a few minutes: logins in this suite test the protocol, not token issuance.</summary>
    public async Task<string> TokenAsync()
    {
        if (_token is null || DateTimeOffset.UtcNow - _tokenFetched > TimeSpan.FromMinutes(5))
        {
            _token = await Node.GetTokenAsync();
            _tokenFetched = DateTimeOffset.UtcNow;
        }

        return _token;
    }

    /// <summary>Npgsql settings for the main node in plain text, or for the TLS edge with the certificate verified.</summary>
    public string NpgsqlConnectionString(bool tls, string token, string extra = "")
    {
        var common = $"Database={GatewaySettings.TargetName};Username={GatewaySettings.AgentClientId};Password={token};Pooling=false;Timeout=15;Command Timeout=30;";
        return (tls
            ? $"Host=localhost;Port={TlsEdge.Settings.PostgresPort};SSL Mode=VerifyFull;Root Certificate={Certificates.CaPath};"
            : $"Host=127.0.0.1;Port={Node.Settings.PostgresPort};SSL Mode=Disable;") + common + extra;
    }

    /// <summary>libpq's environment for psql and pgbench, with the same two choices.</summary>
    public Dictionary<string, string> LibpqEnvironment(bool tls, string token) => new()
    {
        ["PGHOST"] = tls ? "localhost" : "127.0.0.1",
        ["PGPORT"] = (tls ? TlsEdge : Node).Settings.PostgresPort.ToString(CultureInfo.InvariantCulture),
        ["PGUSER"] = GatewaySettings.AgentClientId,
        ["PGDATABASE"] = GatewaySettings.TargetName,
        ["PGPASSWORD"] = token,
        ["PGSSLMODE"] = tls ? "verify-full" : "disable",
        ["PGSSLROOTCERT"] = Certificates.CaPath,
        ["PGCONNECT_TIMEOUT"] = "15",
    };

    public async Task DisposeAsync()
    {
        if (LimitsEdge is not null)
        {
            await LimitsEdge.DisposeAsync();
        }

        if (TlsEdge is not null)
        {
            await TlsEdge.DisposeAsync();
        }

        if (StandIn is not null)
        {
            await StandIn.DisposeAsync();
        }

        await Gateway.DisposeAsync();
    }
}
