using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace OrleansGate.Host.Approvals;

/// <summary>
/// Slack's request signature, version 0: <c>X-Slack-Signature: v0=</c> + lowercase hex of
/// HMAC-SHA256(signing secret, <c>"v0:" + X-Slack-Request-Timestamp + ":" + raw body</c>).
/// </summary>
public static class SlackSignature
{
    public const string TimestampHeader = "X-Slack-Request-Timestamp";
    public const string SignatureHeader = "X-Slack-Signature";

    /// <summary>How far the timestamp may be from now, either way; older is a replay of a captured request.</summary>
    public static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    public static SlackSignatureResult Verify(string? timestamp, string? signature, ReadOnlySpan<byte> body, ReadOnlySpan<byte> signingSecret, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(timestamp) || string.IsNullOrEmpty(signature))
        {
            return SlackSignatureResult.MissingHeader;
        }

        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return SlackSignatureResult.MalformedTimestamp;
        }

        // Compared in seconds, so a timestamp far outside DateTimeOffset's range cannot throw.
        if (Math.Abs((decimal)seconds - now.ToUnixTimeSeconds()) > (decimal)Tolerance.TotalSeconds)
        {
            return SlackSignatureResult.StaleTimestamp;
        }

        Span<byte> given = stackalloc byte[32];
        if (!signature.StartsWith("v0=", StringComparison.Ordinal)
            || signature.Length != 3 + (2 * given.Length)
            || Convert.FromHexString(signature.AsSpan(3), given, out _, out var written) != System.Buffers.OperationStatus.Done
            || written != given.Length)
        {
            return SlackSignatureResult.BadSignature;
        }

        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, signingSecret);
        hmac.AppendData(Encoding.ASCII.GetBytes("v0:" + timestamp + ":"));
        hmac.AppendData(body);
        Span<byte> expected = stackalloc byte[32];
        hmac.GetHashAndReset(expected);

        // Constant time: how long a comparison takes must not tell a forger how many leading bytes were right.
        return CryptographicOperations.FixedTimeEquals(expected, given) ? SlackSignatureResult.Valid : SlackSignatureResult.BadSignature;
    }

    /// <summary>What a refused caller is told.</summary>
    public static string Describe(SlackSignatureResult result) => result switch
    {
        SlackSignatureResult.Valid => "signature valid",
        SlackSignatureResult.MissingHeader => $"{TimestampHeader} and {SignatureHeader} are required",
        SlackSignatureResult.MalformedTimestamp => $"{TimestampHeader} is not a unix time in seconds",
        SlackSignatureResult.StaleTimestamp => $"{TimestampHeader} is more than {Tolerance.TotalMinutes} minutes from the gateway's clock (replayed request?)",
        _ => $"{SignatureHeader} does not match the request (wrong signing secret or altered body)",
    };
}
