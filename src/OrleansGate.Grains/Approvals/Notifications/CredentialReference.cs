namespace OrleansGate.Grains.Approvals.Notifications;

/// <summary>
/// Reads a credential configured by reference only, as targets' <c>password_env</c> / <c>password_file</c>: the name
/// of an environment variable, or a file whose first line is the value. Configuration never holds the value itself.
/// </summary>
public static class CredentialReference
{
    /// <summary>Whether a reference is configured at all.</summary>
    public static bool IsSet(string? environmentVariable, string? file) =>
        !string.IsNullOrWhiteSpace(environmentVariable) || !string.IsNullOrWhiteSpace(file);

    /// <summary>
    /// The value; <paramref name="setting"/> is the configuration key without its <c>Env</c>/<c>File</c> suffix, for
    /// messages. Throws <see cref="CredentialUnavailableException"/> naming the variable or file, never the value.
    /// </summary>
    public static string Read(string? environmentVariable, string? file, string setting)
    {
        if (!string.IsNullOrWhiteSpace(environmentVariable))
        {
            var value = Environment.GetEnvironmentVariable(environmentVariable)?.Trim();
            return string.IsNullOrEmpty(value)
                ? throw new CredentialUnavailableException($"{setting}Env: environment variable {environmentVariable} is not set or empty")
                : value;
        }

        if (!string.IsNullOrWhiteSpace(file))
        {
            string? line;
            try
            {
                using var reader = new StreamReader(file);
                line = reader.ReadLine()?.Trim();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CredentialUnavailableException($"{setting}File: {file} cannot be read: {e.Message}", e);
            }

            return string.IsNullOrEmpty(line) ? throw new CredentialUnavailableException($"{setting}File: the first line of {file} is empty") : line;
        }

        throw new CredentialUnavailableException($"{setting}: neither {setting}Env nor {setting}File is set");
    }
}
