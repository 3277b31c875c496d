using System.Security.Cryptography;
using System.Text;

namespace OrleansGate.Model;

/// <summary>Grain keys and ids of approvals.</summary>
public static class ApprovalKeys
{
    /// <summary>The one directory grain's key.</summary>
    public const string Directory = "pending";

    /// <summary>
    /// The requests grain of <paramref name="agent"/>, <paramref name="target"/> and a statement fingerprint: a hash, so
    /// the key says nothing of the statement and has a fixed length.
    /// </summary>
    public static string Requests(AgentIdentity agent, string target, string fingerprint) =>
        "req:" + Hash($"{agent.GrainKey}\n{target}\n{fingerprint}");

    /// <summary>How one exact text is known inside its requests grain.</summary>
    public static string ExactText(string text) => Hash(text);

    /// <summary>A new approval id: short enough to type, random enough never to be guessed (80 bits).</summary>
    public static string NewId()
    {
        Span<byte> bytes = stackalloc byte[10];
        RandomNumberGenerator.Fill(bytes);
        return "apr-" + Convert.ToHexStringLower(bytes);
    }

    /// <summary>Whether <paramref name="id"/> has the shape of an approval id (checked before any grain is touched).</summary>
    public static bool IsId(string? id) =>
        id is { Length: 24 } && id.StartsWith("apr-", StringComparison.Ordinal) && id.AsSpan(4).ContainsAnyExcept("0123456789abcdef") is false;

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
