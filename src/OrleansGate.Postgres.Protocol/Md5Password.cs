using System.Security.Cryptography;
using System.Text;

namespace OrleansGate.Postgres.Protocol;

/// <summary>The answer to AuthenticationMD5Password, for upstreams still configured with md5.</summary>
public static class Md5Password
{
    private const int SaltLength = 4;

    /// <summary>"md5" + hex(md5(hex(md5(password + user)) + salt)), lowercase hex as PostgreSQL compares it.</summary>
    public static string Compute(string user, string password, ReadOnlySpan<byte> salt)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(password);
        if (salt.Length != SaltLength)
        {
            throw new ArgumentException("The MD5 salt is 4 bytes.", nameof(salt));
        }

        // The stored secret: the user name salts the password, so equal passwords hash differently per user.
        var inner = Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(password + user)));

        Span<byte> outerInput = stackalloc byte[inner.Length + SaltLength];
        Encoding.ASCII.GetBytes(inner, outerInput);
        salt.CopyTo(outerInput[inner.Length..]);
        return "md5" + Convert.ToHexStringLower(MD5.HashData(outerInput));
    }
}
