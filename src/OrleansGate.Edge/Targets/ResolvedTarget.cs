namespace OrleansGate.Edge.Targets;

/// <summary>A configured target, with its secret read only when a connection is dialled.</summary>
public sealed class ResolvedTarget(string name, TargetOptions options)
{
    public string Name { get; } = name;

    public TargetOptions Options { get; } = options;

    /// <summary>The upstream password, or null for trust authentication. Throws with a message that names the source, never the value.</summary>
    public string? ReadPassword()
    {
        if (!string.IsNullOrEmpty(Options.PasswordEnvironmentVariable))
        {
            return Environment.GetEnvironmentVariable(Options.PasswordEnvironmentVariable)
                ?? throw new InvalidOperationException($"target '{Name}': environment variable {Options.PasswordEnvironmentVariable} is not set");
        }

        if (!string.IsNullOrEmpty(Options.PasswordFile))
        {
            try
            {
                using var reader = new StreamReader(Options.PasswordFile);
                return reader.ReadLine() ?? "";
            }
            catch (IOException e)
            {
                throw new InvalidOperationException($"target '{Name}': password file {Options.PasswordFile} cannot be read: {e.Message}", e);
            }
            catch (UnauthorizedAccessException e)
            {
                throw new InvalidOperationException($"target '{Name}': password file {Options.PasswordFile} cannot be read: {e.Message}", e);
            }
        }

        return Options.Password;
    }
}
