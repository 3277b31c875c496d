namespace OrleansGate.Policy.Model;

/// <summary>
/// An upstream PostgreSQL named in a policy file's <c>targets:</c>. The credential is a reference only (an
/// environment variable name or a file path), resolved on the edge when it dials; a policy never holds a password.
/// </summary>
public sealed record PolicyTarget
{
    public required string Name { get; init; }

    public required string Host { get; init; }

    public int Port { get; init; } = 5432;

    public required string Database { get; init; }

    public required string Username { get; init; }

    /// <summary>Name of the edge's environment variable holding the password (<c>password_env</c>).</summary>
    public string? PasswordEnvironmentVariable { get; init; }

    /// <summary>Path, on the edge, of a file whose first line is the password (<c>password_file</c>).</summary>
    public string? PasswordFile { get; init; }

    /// <summary>Line of the target in its file, for messages.</summary>
    public int Line { get; init; }

    /// <summary>How the password is found, for listings: never the value (a policy holds none).</summary>
    public string CredentialReference =>
        PasswordEnvironmentVariable is not null ? $"password_env {PasswordEnvironmentVariable}"
        : PasswordFile is not null ? $"password_file {PasswordFile}"
        : "no password (trust or peer authentication)";
}
