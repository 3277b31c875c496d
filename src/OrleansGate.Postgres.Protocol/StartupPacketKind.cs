namespace OrleansGate.Postgres.Protocol;

/// <summary>What the first packet of a connection asks for.</summary>
public enum StartupPacketKind
{
    /// <summary>Open a session: protocol version and parameters (user, database, ...).</summary>
    StartupMessage,

    /// <summary>Switch to TLS before startup; answered with a single 'S' or 'N'.</summary>
    SslRequest,

    /// <summary>Switch to GSSAPI encryption before startup; answered with a single 'G' or 'N'.</summary>
    GssEncRequest,

    /// <summary>Cancel the query running in another session; never answered.</summary>
    CancelRequest,
}
