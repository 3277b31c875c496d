using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;
using OrleansGate.Edge.Classification;
using OrleansGate.Edge.Identity;
using OrleansGate.Edge.Sessions;
using OrleansGate.Edge.Targets;
using OrleansGate.Edge.Telemetry;

namespace OrleansGate.Edge.Postgres;

/// <summary>What every PostgreSQL session of this edge shares; one instance per process.</summary>
public sealed class PostgresEdgeServices(
    IOptions<PostgresListenerOptions> options,
    ITokenValidator tokens,
    TargetCatalog targets,
    IGrainFactory grains,
    UpstreamConnector upstream,
    CancelRouter cancels,
    EdgeNode node,
    EdgeTelemetry telemetry,
    StatementSummaries statements,
    EdgeSessionRegistry sessions,
    EdgeSessionServices edgeSessions,
    Masking.MaskCatalogCache maskCatalogs,
    EdgeDrain drain,
    TimeProvider time)
{
    public PostgresListenerOptions Options { get; } = options.Value;

    /// <summary>Connections still logging in, bounded by <see cref="PostgresListenerOptions.MaxConnectionsAwaitingAuthentication"/>.</summary>
    public PendingLogins PendingLogins { get; } = new(options.Value.MaxConnectionsAwaitingAuthentication);

    /// <summary>Logins refused because the cluster could not decide: one log line per 10 s, with the count held back.</summary>
    public LogThrottle ClusterUnavailableLog { get; } = new(time, TimeSpan.FromSeconds(10));

    /// <summary>Connections refused for too many pending logins: one log line per 10 s (a flood must not flood the log).</summary>
    public LogThrottle PendingLoginsLog { get; } = new(time, TimeSpan.FromSeconds(10));

    /// <summary>Refused logins that could not be handed to the login audit: one log line a minute, with the count held back.</summary>
    public LogThrottle LoginAuditLog { get; } = new(time, TimeSpan.FromMinutes(1));

    /// <summary>The listener's certificate; null when TLS is not configured.</summary>
    public X509Certificate2? Certificate { get; } = PostgresTlsCertificate.Load(options.Value.Tls);

    public ITokenValidator Tokens { get; } = tokens;

    public TargetCatalog Targets { get; } = targets;

    public IGrainFactory Grains { get; } = grains;

    public UpstreamConnector Upstream { get; } = upstream;

    public CancelRouter Cancels { get; } = cancels;

    public EdgeNode Node { get; } = node;

    public EdgeTelemetry Telemetry { get; } = telemetry;

    public StatementSummaries Statements { get; } = statements;

    public EdgeSessionRegistry Sessions { get; } = sessions;

    public TimeProvider Time { get; } = time;

    /// <summary>The graceful drain on SIGTERM: no new logins, each session ends at its next transaction boundary.</summary>
    public EdgeDrain Drain { get; } = drain;

    /// <summary>Each target's catalog bound to the masks of its sessions.</summary>
    public Masking.MaskCatalogCache MaskCatalogs { get; } = maskCatalogs;

    /// <summary>Decisions and audit, shared by the sessions of every protocol.</summary>
    public EdgeSessionServices EdgeSessions { get; } = edgeSessions;
}
