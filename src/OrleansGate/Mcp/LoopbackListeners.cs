using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;
using Npgsql;
using OrleansGate.Edge.Http;
using OrleansGate.Edge.Postgres;

namespace OrleansGate.Host.Mcp;

/// <summary>
/// How the tools reach this node's own listeners: the PostgreSQL listener (Npgsql) and the agent HTTP listener
/// (HttpClient), so a tool call takes the native path, decision, approval, masking and audit alike. Over TLS when the
/// listener has a certificate, trusting exactly that certificate: the caller's token crosses only to this node.
/// </summary>
public sealed class LoopbackListeners : IDisposable
{
    public const string ApplicationName = "orleansgate-mcp";

    private readonly PostgresListenerOptions _postgres;
    private readonly X509Certificate2? _postgresCertificate;
    private readonly X509Certificate2? _agentCertificate;
    private readonly HttpClient _agentHttp;

    public LoopbackListeners(IOptions<PostgresListenerOptions> postgres, IOptions<AgentHttpOptions> agentHttp)
    {
        ArgumentNullException.ThrowIfNull(postgres);
        ArgumentNullException.ThrowIfNull(agentHttp);
        _postgres = postgres.Value;
        _postgresCertificate = _postgres.Tls.IsConfigured ? X509Certificate2.CreateFromPem(File.ReadAllText(_postgres.Tls.CertificatePath!)) : null;
        var agent = agentHttp.Value;
        _agentCertificate = !agent.Insecure && agent.Tls.IsConfigured ? X509Certificate2.CreateFromPem(File.ReadAllText(agent.Tls.CertificatePath!)) : null;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false, // a proxy in the environment must never see the agent's token
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
        };
        if (_agentCertificate is { } pinned)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, presented, _, _) => IsSame(pinned, presented);
        }

        // No client timeout: a request may wait for an approval; the tool call's own deadline ends it.
        _agentHttp = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        var host = Loopback(agent.Address);
        AgentBaseUrl = new Uri($"{(_agentCertificate is null ? "http" : "https")}://{(host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host)}:{agent.Port}/");
    }

    /// <summary>The agent listener, as this node reaches it.</summary>
    public Uri AgentBaseUrl { get; }

    /// <summary>The client of the agent listener (shared: its connections are pooled; requests carry the caller's token).</summary>
    public HttpClient AgentHttp => _agentHttp;

    /// <summary>
    /// A session of <paramref name="caller"/> on <paramref name="target"/> through the PostgreSQL listener, not yet open:
    /// the token is the password, as for any agent. Not pooled: each call is a session of its own, audited as one.
    /// </summary>
    public NpgsqlConnection Postgres(McpCaller caller, string target, int commandTimeoutSeconds)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = Loopback(_postgres.Address),
            Port = _postgres.Port,
            Database = target,
            Username = caller.UserName,
            Password = caller.Bearer,
            ApplicationName = ApplicationName,
            Pooling = false,
            Timeout = 30,
            CommandTimeout = commandTimeoutSeconds,
            SslMode = _postgresCertificate is null ? SslMode.Disable : SslMode.Require,
        };
        var connection = new NpgsqlConnection(builder.ConnectionString);
        if (_postgresCertificate is { } pinned)
        {
            connection.SslClientAuthenticationOptionsCallback = ssl =>
                ssl.RemoteCertificateValidationCallback = (_, presented, _, _) => IsSame(pinned, presented);
        }

        return connection;
    }

    /// <summary>The listener's own certificate, byte for byte: no CA, no name check needed.</summary>
    private static bool IsSame(X509Certificate2 pinned, X509Certificate? presented) =>
        presented is not null && presented.GetRawCertData().AsSpan().SequenceEqual(pinned.RawData);

    /// <summary>A listener on every address is reached on loopback; one on an address, there.</summary>
    private static string Loopback(string address) =>
        IPAddress.TryParse(address, out var ip) && ip.Equals(IPAddress.Any) ? "127.0.0.1"
        : ip is not null && ip.Equals(IPAddress.IPv6Any) ? "::1"
        : address;

    public void Dispose()
    {
        _agentHttp.Dispose();
        _postgresCertificate?.Dispose();
        _agentCertificate?.Dispose();
    }
}
