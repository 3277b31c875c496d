using System.Buffers.Text;

namespace OrleansGate.Edge.Identity;

/// <summary>
/// Checks the shape of a JWS ECDSA signature (RFC 7518 §3.4: r and s as fixed-length big-endian integers) before
/// any verification, so that r = 0 or s = 0 is refused with its own reason whatever the crypto library does.
/// </summary>
/// <remarks>
/// A verifier that skips the 0 &lt; r, s &lt; n check accepts an all-zero signature for any message and key
/// (CVE-2022-21449, "psychic signatures"). .NET checks it today; this makes the refusal ours and visible in the log.
/// </remarks>
internal static class EcdsaSignatureShape
{
    /// <summary>Null when the token is not ECDSA-signed or its signature is well formed; otherwise the reason to refuse it.</summary>
    public static string? Check(string algorithm, string token)
    {
        var length = algorithm switch
        {
            "ES256" => 64,
            "ES384" => 96,
            "ES512" => 132,
            _ => 0,
        };
        if (length == 0)
        {
            return null;
        }

        var encoded = token.AsSpan(token.LastIndexOf('.') + 1);
        if (Base64Url.GetMaxDecodedLength(encoded.Length) < length || encoded.Length > Base64Url.GetEncodedLength(length))
        {
            return "signature malformed";
        }

        Span<byte> signature = stackalloc byte[Base64Url.GetMaxDecodedLength(encoded.Length)];
        if (!Base64Url.TryDecodeFromChars(encoded, signature, out var written) || written != length)
        {
            return "signature malformed";
        }

        var half = length / 2;
        return signature[..half].ContainsAnyExcept((byte)0) && signature[half..length].ContainsAnyExcept((byte)0)
            ? null
            : "ECDSA signature with r or s zero";
    }
}
