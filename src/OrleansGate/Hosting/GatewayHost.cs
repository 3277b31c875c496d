using System.Data.Common;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;
using Npgsql;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Orleans.Configuration;
using Orleans.Messaging;
using Orleans.Runtime.Membership;
using OrleansGate.Edge;
using OrleansGate.Edge.Classification;
using OrleansGate.Edge.Http;
using OrleansGate.Edge.Postgres;
using OrleansGate.Edge.Sessions;
using OrleansGate.Edge.Ssh;
using OrleansGate.Edge.Telemetry;
using OrleansGate.Grains;
using OrleansGate.Audit;
using OrleansGate.Grains.Approvals;
using OrleansGate.Grains.Approvals.Notifications;
using OrleansGate.Grains.Audit;
using OrleansGate.Grains.Policy;
using OrleansGate.Grains.Storage;
using OrleansGate.Host.Approvals;
using OrleansGate.Host.Cluster;
using OrleansGate.Host.DevIdp;
using OrleansGate.Host.Mcp;

namespace OrleansGate.Host.Hosting;

/// <summary>Builds the orleansgate process for a role from configuration (section <c>OrleansGate</c>).</summary>
public static class GatewayHost
{
    public const string Section = "OrleansGate";

    /// <summary>See <see cref="AddSilo"/>: bounds how long a dead edge-only process's sessions stay listed.</summary>
    public static readonly TimeSpan EdgeDropTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How often an edge-only process reads the cluster's gateways again (a restarted silo is used again within this).</summary>
    public static readonly TimeSpan EdgeGatewayListRefresh = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How often an edge-only process's Orleans client takes its gateway list again: the table's last reading less the
    /// gateways its health probe finds unresponsive (<see cref="ProbedGatewayListProvider"/>), so a stopped silo is left out soon.
    /// </summary>
    public static readonly TimeSpan EdgeGatewayListFilter = TimeSpan.FromSeconds(1);

    /// <summary>
    /// What the host's shutdown timeout holds beyond the drain (<see cref="DrainOptions.Timeout"/>): the sessions ended at
    /// the deadline closing, then the silo leaving membership with its grains' state written, and the audit queue flushed.
    /// </summary>
    public static readonly TimeSpan ShutdownMargin = TimeSpan.FromSeconds(30);

    /// <summary>Creates the application; <paramref name="configure"/> lets tests and commands add settings.</summary>
    public static WebApplication Build(GatewayRole role, string[] args, Action<IConfigurationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args });
        builder.Configuration.AddEnvironmentVariables("ORLEANSGATE__");
        configure?.Invoke(builder.Configuration);
        var gateway = builder.Configuration.GetSection(Section);

        // Per-call resilience and HTTP client chatter would drown the gateway's own log; "Logging" settings can raise them again.
        builder.Logging.AddFilter("Polly", LogLevel.Warning);
        builder.Logging.AddFilter("System.Net.Http.HttpClient", LogLevel.Warning);
        builder.Logging.AddFilter("Orleans.", LogLevel.Warning); // the dot: "Orleans" alone is also a prefix of "OrleansGate"
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // YARP logs every forwarded request at Information ("Proxying to URL"): a line per request, and most of the
        // agent HTTP path's cost under load. The audit has every request; the log keeps YARP's warnings and errors.
        builder.Logging.AddFilter("Yarp", LogLevel.Warning);

        // Every role needs it: silos keep membership, grain state and audit there; edges find the silos there.
        var stateConnectionString = gateway["StateDatabase"];
        if (string.IsNullOrWhiteSpace(stateConnectionString))
        {
            throw new InvalidOperationException("OrleansGate:StateDatabase (the gateway's own PostgreSQL connection string) is not set");
        }

        DbProviderFactories.RegisterFactory("Npgsql", NpgsqlFactory.Instance);
        var cluster = gateway.GetSection("Cluster").Get<GatewayClusterOptions>() ?? new GatewayClusterOptions();
        builder.Services.AddSingleton(new GatewayRoleMarker(role));
        builder.Services.AddSingleton(new StateConnectionString(stateConnectionString));
        builder.Services.AddSingleton<NodeReadiness>();

        if (role is GatewayRole.All or GatewayRole.Silo)
        {
            AddSilo(builder, gateway, cluster, stateConnectionString);
        }
        else
        {
            AddClient(builder, cluster, stateConnectionString);

            // No silo here: the sessions' records are written through the silos' audit stores.
            builder.Services.AddClusterAuditStore();
        }

        var http = gateway.GetSection("Http").Get<HttpListenerOptions>() ?? new HttpListenerOptions();
        var postgres = gateway.GetSection("Postgres").Get<PostgresListenerOptions>() ?? new PostgresListenerOptions();
        var agentHttp = gateway.GetSection("AgentHttp").Get<AgentHttpOptions>() ?? new AgentHttpOptions();
        if (role is GatewayRole.All or GatewayRole.Edge && agentHttp.Problem() is { } agentHttpProblem)
        {
            throw new InvalidOperationException(agentHttpProblem);
        }

        if (role is GatewayRole.All or GatewayRole.Edge && (gateway.GetSection("Ssh").Get<SshExecOptions>() ?? new SshExecOptions()).Problem() is { } sshProblem)
        {
            throw new InvalidOperationException(sshProblem);
        }

        if (role is GatewayRole.All or GatewayRole.Silo && http.Port != 0)
        {
            // Where edges probe this silo's gateway (Cluster/GatewayHealthProbe).
            builder.Services.AddHostedService(sp => ActivatorUtilities.CreateInstance<SiloHealthUrlPublisher>(sp, http));
        }

        if (role is GatewayRole.All or GatewayRole.Edge)
        {
            builder.Services.AddPostgresEdge(gateway);

            // The edge's view of the policy version, for the Execute re-check (pushed by the policy grain).
            builder.Services.AddSingleton<PolicyVersionWatcher>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<PolicyVersionWatcher>());
            if (!postgres.Insecure && !postgres.Tls.IsConfigured)
            {
                throw new InvalidOperationException(
                    "OrleansGate:Postgres:Tls:CertificatePath and KeyPath are not set: configure TLS for the PostgreSQL listener, " +
                    "or set OrleansGate:Postgres:Insecure=true to accept plain-text connections knowingly (local demos and tests)");
            }

            // Fail at start, not at the first client, when the certificate or key cannot be loaded.
            PostgresTlsCertificate.Load(postgres.Tls)?.Dispose();

            // After UseOrleans: every StoppingAsync runs before any hosted service stops, so sessions drain while the silo
            // or cluster client, Kestrel and the audit writers still run (EdgeDrainService).
            var drain = gateway.GetSection("Drain").Get<DrainOptions>() ?? new DrainOptions();
            if (drain.Problem() is { } problem)
            {
                throw new InvalidOperationException(problem);
            }

            builder.Services.AddSingleton(drain);
            builder.Services.AddHostedService<EdgeDrainService>();
            builder.Services.Configure<HostOptions>(o =>
            {
                if (o.ShutdownTimeout < drain.Timeout + ShutdownMargin)
                {
                    o.ShutdownTimeout = drain.Timeout + ShutdownMargin;
                }
            });
        }

        if (role is GatewayRole.All or GatewayRole.Edge && agentHttp.Port != 0)
        {
            // The MCP endpoint lives on the agent listener; its tools are clients of this node's own listeners.
            builder.Services.AddGatewayMcp(gateway.GetSection("Mcp"));
        }

        builder.Services.AddDevIdp(gateway.GetSection("DevIdp"));
        builder.Services.AddApprovalsApi(gateway.GetSection("Approvals"));
        builder.Services.AddApprovalsPage(gateway.GetSection("Approvals"));

        // Approval notices (Slack, JSON webhook) are sent by the approval grains; the Slack endpoint takes votes on any node.
        builder.Services.AddApprovalNotifications(gateway.GetSection("Approvals:Notifications"));
        builder.Services.PostConfigure<ApprovalNotificationOptions>(o => o.PageUrl ??= gateway["Approvals:PageUrl"]);
        builder.Services.AddMetrics();
        builder.Services.AddSingleton<ApprovalTelemetry>();
        AddTelemetry(builder, gateway, metricsEndpoint: http.Metrics && http.Port != 0);

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            if (http.Port != 0)
            {
                kestrel.Listen(IPAddress.Parse(http.Address), http.Port);
            }

            if (role is GatewayRole.All or GatewayRole.Edge)
            {
                kestrel.Listen(IPAddress.Parse(postgres.Address), postgres.Port, listen => listen.UseConnectionHandler<PostgresConnectionHandler>());
                if (agentHttp.Port != 0)
                {
                    kestrel.Listen(IPAddress.Parse(agentHttp.Address), agentHttp.Port, listen =>
                    {
                        if (!agentHttp.Insecure)
                        {
                            listen.UseHttps(PostgresTlsCertificate.Load(agentHttp.Tls)!);
                        }
                    });
                }
            }
        });

        var app = builder.Build();
        if (role is GatewayRole.All or GatewayRole.Edge)
        {
            // Fail at start, not at the first statement, when the parser library is missing.
            app.Services.GetRequiredService<StatementSummaries>();
        }

        if (role is GatewayRole.All or GatewayRole.Edge && agentHttp.Port != 0)
        {
            // Agents' requests: everything on that listener, and nothing else there (no admin endpoint). Each Use* answers
            // its own paths and passes the rest on; the Kubernetes and HTTP handler takes whatever is left.
            var handler = app.Services.GetRequiredService<AgentHttpHandler>();
            var ssh = app.Services.GetRequiredService<SshExecHandler>(); // POST /api/exec: commands on SSH targets (Ssh/SshExecHandler.cs)
            app.MapWhen(context => context.Connection.LocalPort == agentHttp.Port, agents =>
            {
                agents.UseGatewayMcp(); // /mcp and /.well-known/oauth-protected-resource[/mcp] (Mcp/McpEndpoint.cs)
                agents.MapWhen(context => context.Request.Path.Equals(SshExecHandler.Path, StringComparison.Ordinal), exec => exec.Run(ssh.HandleAsync));
                agents.Run(handler.HandleAsync);
            });
        }

        app.MapGet("/healthz", () => Results.Text("ok"));
        if (http.Metrics && http.Port != 0)
        {
            // Only on the HTTP listener: the PostgreSQL listener is a connection handler, not routed.
            app.MapPrometheusScrapingEndpoint();
        }

        // For load balancers: 200 only on a node that may take clients now; a 503 names what is missing.
        app.MapGet("/readyz", async (NodeReadiness readiness, CancellationToken cancellationToken) =>
            await readiness.MissingAsync(cancellationToken) is { Count: > 0 } missing
                ? Results.Text("not ready: " + string.Join("; ", missing) + "\n", statusCode: StatusCodes.Status503ServiceUnavailable)
                : Results.Text("ready\n"));
        if (http.RuntimeCounters)
        {
            app.MapRuntimeCounters();
        }

        app.MapDevIdp();
        app.MapApprovalsApi();
        app.MapSlackInteractive();
        app.MapApprovalsPage();
        return app;
    }

    /// <summary>
    /// Brings the state database schema up to date when it is not (idempotent; a current schema needs only read
    /// access, so a runtime role without DDL rights starts); silos call this before Orleans starts.
    /// </summary>
    public static async Task ApplySchemaAsync(WebApplication app, CancellationToken cancellationToken)
    {
        if (app.Services.GetService<StateDatabase>() is not { } database)
        {
            return;
        }

        // With a separate audit store the state database's audit tables stay empty; that store is checked by the
        // audit writer when it installs there.
        var separateAuditStore = !string.IsNullOrWhiteSpace(app.Services.GetService<IOptions<AuditOptions>>()?.Value.ConnectionString);
        var installer = new SchemaInstaller(database.ConnectionString, app.Services.GetRequiredService<ILogger<SchemaInstaller>>())
        {
            WarnWhenAuditIsAlterable = !separateAuditStore,
        };
        await installer.ApplyAsync(cancellationToken);
    }

    private static void AddSilo(WebApplicationBuilder builder, IConfigurationSection gateway, GatewayClusterOptions cluster, string connectionString)
    {
        builder.Services.AddSingleton(new StateDatabase(connectionString));
        if (cluster.Kubernetes && cluster.KubernetesProblem(Environment.GetEnvironmentVariable) is { } kubernetesProblem)
        {
            throw new InvalidOperationException(kubernetesProblem);
        }

        if (cluster.MembershipProblem() is { } membershipProblem)
        {
            throw new InvalidOperationException(membershipProblem);
        }

        var node = string.IsNullOrWhiteSpace(gateway["NodeName"]) ? Environment.MachineName : gateway["NodeName"]!;
        builder.Services.AddAudit(gateway.GetSection("Audit"), connectionString, node, cluster.ClusterId);

        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = cluster.ClusterId;
                o.ServiceId = cluster.ServiceId;
            });
            silo.UseAdoNetClustering(o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = connectionString;
            });
            silo.AddAdoNetGrainStorage(GrainStorage.Name, o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = connectionString;
            });
            silo.UseAdoNetReminderService(o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = connectionString;
            });
            if (cluster.Kubernetes)
            {
                // The pod's IP, set here: the hosting sets it only when no address is set yet, and Orleans' own default
                // (an address of the host) came first in the test. The listeners take any address, as the hosting would.
                var podIp = IPAddress.Parse(Environment.GetEnvironmentVariable("POD_IP")!);
                silo.Configure<EndpointOptions>(o =>
                {
                    o.AdvertisedIPAddress = podIp;
                    o.SiloPort = cluster.SiloPort;
                    o.GatewayPort = cluster.GatewayPort;
                    o.SiloListeningEndpoint = new IPEndPoint(IPAddress.Any, cluster.SiloPort);
                    o.GatewayListeningEndpoint = new IPEndPoint(IPAddress.Any, cluster.GatewayPort);
                });
                silo.UseKubernetesHosting();
            }
            else
            {
                silo.ConfigureEndpoints(IPAddress.Parse(cluster.AdvertisedAddress), cluster.SiloPort, cluster.GatewayPort, listenOnAnyHostAddress: false);
            }

            // How long a gateway keeps an edge-only process that disconnected before Orleans reports it gone, which is
            // what lets agent grains drop the sessions of an edge killed with SIGKILL (AgentGrain.Liveness.cs; the
            // gateway acts on it at its next pass, so within twice this). Orleans' default is 1 min. Shorter is safe
            // for sessions: an edge that loses its last gateway has ended its sessions already (EdgeSessionRegistry.TerminateAll).
            silo.Configure<SiloMessagingOptions>(o => o.ClientDropTimeout = EdgeDropTimeout);

            // A stopped silo is declared dead after about 3 × this (GatewayClusterOptions.MaxProbeTimeout).
            silo.Configure<ClusterMembershipOptions>(o => o.MaxProbeTimeout = cluster.MaxProbeTimeout);
            silo.AddActivityPropagation();
        });

        // After UseOrleans: these hosted services start once the silo is up (policy file load, cache refresh).
        builder.Services.AddGatewayPolicy(gateway.GetSection("Policy"));
    }

    private static void AddClient(WebApplicationBuilder builder, GatewayClusterOptions cluster, string connectionString)
    {
        if (cluster.MembershipProblem() is { } membershipProblem)
        {
            throw new InvalidOperationException(membershipProblem);
        }

        var connection = new ClusterClientConnection();
        builder.Services.AddSingleton(connection);
        if (cluster.GatewayProbeTimeout > TimeSpan.Zero)
        {
            builder.Services.AddSingleton(sp => new GatewayHealthProbe(
                ct => GatewayHealthTargets.LoadAsync(connectionString, cluster.ClusterId, ct),
                new HttpMessageInvoker(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, ConnectTimeout = cluster.GatewayProbeTimeout }),
                cluster.GatewayProbeTimeout, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<GatewayHealthProbe>>()));
            builder.Services.AddHostedService(sp => sp.GetRequiredService<GatewayHealthProbe>());
        }

        builder.UseOrleansClient(client =>
        {
            ConfigureClient(client, cluster, connectionString);
            client.AddActivityPropagation();
            client.AddClusterConnectionStatusObserver(connection);

            // A gateway this client saw go away is marked dead and tried again only at the next refresh of the gateway
            // list (Orleans' default: 1 min). In a rolling restart the next silo may stop well within that, leaving the
            // edge with no gateway at all, which ends its sessions (below): so the table is read every 10 s. The list is
            // taken every second, less the gateways that stopped answering their health probe (Cluster/).
            if (cluster.GatewayProbeTimeout > TimeSpan.Zero)
            {
                client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = EdgeGatewayListFilter);
                client.Services.AddSingleton<AdoNetGatewayListProvider>();
                client.Services.AddSingleton<IGatewayListProvider>(sp => new ProbedGatewayListProvider(
                    sp.GetRequiredService<AdoNetGatewayListProvider>(), sp.GetRequiredService<GatewayHealthProbe>(), EdgeGatewayListRefresh,
                    sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<ProbedGatewayListProvider>>()));
            }
            else
            {
                client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = EdgeGatewayListRefresh);
            }

            // An edge without any gateway ends its sessions: see EdgeSessionRegistry.TerminateAll.
            client.AddClusterConnectionLostHandler(services => (_, _) =>
                services.GetRequiredService<EdgeSessionRegistry>().TerminateAll("the gateway node lost its connection to the cluster"));
        });
    }

    /// <summary>How any Orleans client of the cluster finds it: edges and the admin commands alike.</summary>
    public static void ConfigureClient(IClientBuilder client, GatewayClusterOptions cluster, string connectionString)
    {
        client.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = cluster.ClusterId;
            o.ServiceId = cluster.ServiceId;
        });
        client.UseAdoNetClustering(o =>
        {
            o.Invariant = "Npgsql";
            o.ConnectionString = connectionString;
        });
    }

    /// <summary>The meters of this process that are exported (OTLP and <c>/metrics</c> alike).</summary>
    private static readonly string[] Meters = [EdgeTelemetry.Name, ApprovalTelemetry.Name, IdentityTelemetry.Name, "Microsoft.Orleans"];

    /// <summary>
    /// OpenTelemetry: metrics for Prometheus on <c>/metrics</c> (<paramref name="metricsEndpoint"/>); traces, metrics and logs
    /// exported over OTLP only when an endpoint is configured (off by default).
    /// </summary>
    private static void AddTelemetry(WebApplicationBuilder builder, IConfigurationSection gateway, bool metricsEndpoint)
    {
        var endpoint = gateway["Telemetry:OtlpEndpoint"];
        var otlp = string.IsNullOrWhiteSpace(endpoint) ? null : new Uri(endpoint);
        if (otlp is null && !metricsEndpoint)
        {
            return;
        }

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("orleansgate", serviceInstanceId: gateway["NodeName"]))
            .WithMetrics(m =>
            {
                m.AddMeter(Meters);
                if (otlp is not null)
                {
                    m.AddOtlpExporter(o => o.Endpoint = otlp);
                }

                if (metricsEndpoint)
                {
                    m.AddPrometheusExporter();
                }
            });
        if (otlp is null)
        {
            return;
        }

        var ratio = TraceSampleRatio(gateway["Telemetry:TraceSampleRatio"]);
        telemetry
            .WithTracing(t => t
                .SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(ratio)))
                .AddSource(EdgeTelemetry.Name, "Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application")
                .AddOtlpExporter(o => o.Endpoint = otlp))

            // Logs too, among them each audit signature as a structured record when OrleansGate:Audit:ExportSignatures
            // is on: a copy outside the database and the host, for a collector or a SIEM (docs/audit.md).
            .WithLogging(l => l.AddOtlpExporter(o => o.Endpoint = otlp));
    }

    /// <summary>
    /// The share of traces recorded (<c>OrleansGate:Telemetry:TraceSampleRatio</c>, 0 to 1, default 1): a login or a
    /// statement starts a trace with that probability, and everything below it follows its parent's choice.
    /// </summary>
    internal static double TraceSampleRatio(string? configured)
    {
        if (string.IsNullOrWhiteSpace(configured))
        {
            return 1.0;
        }

        if (!double.TryParse(configured, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var ratio)
            || double.IsNaN(ratio) || ratio < 0 || ratio > 1)
        {
            throw new InvalidOperationException(
                $"OrleansGate:Telemetry:TraceSampleRatio must be a number from 0 to 1 (a share of traces recorded), not '{configured}'");
        }

        return ratio;
    }
}
