namespace OrleansGate.Postgres.Protocol;

/// <summary>The SQLSTATE codes this library raises, named as in PostgreSQL's errcodes.txt.</summary>
public static class PgSqlState
{
    /// <summary>08P01: the peer broke the protocol (bad framing, malformed message).</summary>
    public const string ProtocolViolation = "08P01";

    /// <summary>28000: authentication with the upstream failed.</summary>
    public const string InvalidAuthorizationSpecification = "28000";

    /// <summary>53300: too many connections (here: too many still logging in).</summary>
    public const string TooManyConnections = "53300";

    /// <summary>53400: configuration_limit_exceeded, a limit of the agent's (rate, rows budget) refused the statement.</summary>
    public const string ConfigurationLimitExceeded = "53400";

    /// <summary>57P01: admin_shutdown, the server ends the session (here: revoked, expired, or the node drained).</summary>
    public const string AdminShutdown = "57P01";

    /// <summary>57P03: cannot_connect_now, the server takes no new sessions (here: the node is draining).</summary>
    public const string CannotConnectNow = "57P03";
}
