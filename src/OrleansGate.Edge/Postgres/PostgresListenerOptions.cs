namespace OrleansGate.Edge.Postgres;

/// <summary>The PostgreSQL listener (section <c>OrleansGate:Postgres</c>).</summary>
public sealed class PostgresListenerOptions
{
    /// <summary>Address to listen on; loopback by default so nothing is exposed by accident.</summary>
    public string Address { get; set; } = "127.0.0.1";

    public int Port { get; set; } = 6543;

    /// <summary>
    /// Plain-text connections are refused unless this is set (local demos and tests). Without
    /// <see cref="Tls"/> the listener only starts when it is marked insecure.
    /// </summary>
    public bool Insecure { get; set; }

    /// <summary>Certificate and key; when set, SSLRequest is answered 'S' and direct TLS is accepted.</summary>
    public PostgresTlsOptions Tls { get; set; } = new();

    /// <summary>Time allowed from TCP accept to a completed login.</summary>
    public TimeSpan AuthenticationTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Connections that may be logging in at once; more are refused at once with FATAL 53300. Bounds what
    /// unauthenticated sockets can make the edge buffer (this × <see cref="MaxMessageLengthBeforeAuthentication"/>).
    /// </summary>
    public int MaxConnectionsAwaitingAuthentication { get; set; } = 256;

    /// <summary>
    /// How long a session may outlive its token's expiry before it is ended with FATAL 57P01. Tokens are
    /// short-lived on purpose: an agent reconnects with a fresh one.
    /// </summary>
    public TimeSpan TokenExpiryGrace { get; set; } = TimeSpan.Zero;

    /// <summary>Largest client message accepted before authentication (the password message carries a JWT).</summary>
    public int MaxMessageLengthBeforeAuthentication { get; set; } = 1 << 20;

    /// <summary>Largest client message accepted after authentication.</summary>
    public int MaxMessageLength { get; set; } = 64 << 20;

    /// <summary>Largest upstream message relayed (a DataRow may carry up to 1 GiB per field in PostgreSQL).</summary>
    public int MaxUpstreamMessageLength { get; set; } = 256 << 20;
}
