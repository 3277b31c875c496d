using System.Text;
using OrleansGate.Policy.Model;

namespace OrleansGate.Edge.Masking;

/// <summary>
/// Reads the key of a hash mask from where the policy points (<c>key_env</c> or <c>key_file</c>), as target passwords
/// are read: the policy holds the reference only, and the key is read on the edge where it is used.
/// </summary>
public static class MaskKeys
{
    /// <summary>The key as UTF-8 bytes: the variable's value or the file's first line, trimmed.</summary>
    /// <remarks>
    /// Trimmed, as other credentials read by reference are, so a newline left by <c>$(cat key)</c> does not change
    /// every hash. An empty key is refused: hashing with it would make the masked values guessable.
    /// </remarks>
    /// <exception cref="MaskKeyUnavailableException">Not set, empty or unreadable.</exception>
    public static byte[] Resolve(PolicyMask mask)
    {
        ArgumentNullException.ThrowIfNull(mask);
        if (!string.IsNullOrWhiteSpace(mask.KeyEnvironmentVariable))
        {
            var value = Environment.GetEnvironmentVariable(mask.KeyEnvironmentVariable)?.Trim();
            return string.IsNullOrEmpty(value)
                ? throw new MaskKeyUnavailableException($"mask '{mask.Name}': key_env: environment variable {mask.KeyEnvironmentVariable} is not set or empty")
                : Encoding.UTF8.GetBytes(value);
        }

        if (!string.IsNullOrWhiteSpace(mask.KeyFile))
        {
            string? line;
            try
            {
                using var reader = new StreamReader(mask.KeyFile);
                line = reader.ReadLine()?.Trim();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new MaskKeyUnavailableException($"mask '{mask.Name}': key_file {mask.KeyFile} cannot be read: {e.Message}", e);
            }

            return string.IsNullOrEmpty(line)
                ? throw new MaskKeyUnavailableException($"mask '{mask.Name}': key_file: the first line of {mask.KeyFile} is empty")
                : Encoding.UTF8.GetBytes(line);
        }

        throw new MaskKeyUnavailableException($"mask '{mask.Name}' has neither key_env nor key_file");
    }
}
