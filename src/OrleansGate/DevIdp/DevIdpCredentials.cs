using System.Security.Cryptography;
using System.Text;

namespace OrleansGate.Host.DevIdp;

/// <summary>Reads users' passwords from where their configuration points, and compares secrets in constant time.</summary>
internal static class DevIdpCredentials
{
    // Compared against when the client or user is unknown, so that case costs the same as a wrong secret.
    private static readonly byte[] UnknownSecretHash = SHA256.HashData(RandomNumberGenerator.GetBytes(32));

    /// <summary>Whether <paramref name="presented"/> equals <paramref name="expected"/>; a null expected secret never matches.</summary>
    public static bool SecretsMatch(string? expected, string presented)
    {
        // Hashing first makes the comparison independent of both secrets' lengths.
        var expectedHash = string.IsNullOrEmpty(expected) ? UnknownSecretHash : SHA256.HashData(Encoding.UTF8.GetBytes(expected));
        var presentedHash = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        return CryptographicOperations.FixedTimeEquals(expectedHash, presentedHash) && !string.IsNullOrEmpty(expected);
    }

    /// <summary>
    /// Reads <paramref name="user"/>'s password from its environment variable or the first line of its file.
    /// On failure <paramref name="problem"/> names the source, never a value.
    /// </summary>
    public static bool TryReadPassword(DevIdpUser user, out string password, out string problem)
    {
        password = problem = "";
        if (!string.IsNullOrEmpty(user.PasswordEnv))
        {
            password = Environment.GetEnvironmentVariable(user.PasswordEnv) ?? "";
            problem = $"environment variable {user.PasswordEnv} is not set or empty";
        }
        else if (!string.IsNullOrEmpty(user.PasswordFile))
        {
            try
            {
                using var reader = new StreamReader(user.PasswordFile);
                password = reader.ReadLine() ?? "";
                problem = $"the first line of password file {user.PasswordFile} is empty";
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                problem = $"password file {user.PasswordFile} cannot be read: {ex.Message}";
            }
        }
        else
        {
            problem = "no PasswordEnv or PasswordFile is set";
        }

        if (password.Length == 0)
        {
            return false;
        }

        problem = "";
        return true;
    }
}
