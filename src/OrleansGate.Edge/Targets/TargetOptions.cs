namespace OrleansGate.Edge.Targets;

/// <summary>
/// One upstream PostgreSQL the gateway may connect to (section <c>OrleansGate:Targets:NAME</c>). The agent
/// names it as its <c>database</c>; the credentials are the gateway's own and never reach the agent.
/// </summary>
public sealed class TargetOptions
{
    public string Host { get; set; } = "127.0.0.1";

    public int Port { get; set; } = 5432;

    /// <summary>Database name on the upstream server.</summary>
    public string Database { get; set; } = "";

    public string Username { get; set; } = "";

    /// <summary>Name of an environment variable holding the password (preferred over an inline value).</summary>
    public string? PasswordEnvironmentVariable { get; set; }

    /// <summary>Path of a file whose first line is the password.</summary>
    public string? PasswordFile { get; set; }

    /// <summary>Inline password; for local demos only.</summary>
    public string? Password { get; set; }

    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
