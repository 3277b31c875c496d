using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace OrleansGate.Edge.Identity;

/// <summary>
/// A JWS in compact serialization, split and decoded but <b>not verified</b>. It exists to refuse malformed
/// and hostile tokens before any cryptography runs, and to choose the issuer whose keys verify the rest.
/// Nothing read from it may be trusted until the signature has been checked.
/// </summary>
internal sealed class UnverifiedJws
{
    /// <summary>Tokens longer than this are refused unread; real access tokens are 1–2 KiB.</summary>
    public const int MaxTokenLength = 8 * 1024;

    // Header parameters that let the token name its own verification key or demand extensions we do not
    // implement: honouring any of them would let an attacker choose the key that "verifies" the token.
    private static readonly string[] ForbiddenHeaderParameters = ["jwk", "jku", "x5c", "x5u", "crit"];

    private static readonly JsonDocumentOptions JsonOptions = new() { MaxDepth = 16 };

    private UnverifiedJws(string algorithm, string? keyId, string? type, string? issuer, string? subject, bool hasSignature, JsonElement payload)
    {
        Algorithm = algorithm;
        Type = type;
        KeyId = keyId;
        Issuer = issuer;
        Subject = subject;
        HasSignature = hasSignature;
        Payload = payload;
    }

    /// <summary>The header's <c>alg</c>, exactly as sent.</summary>
    public string Algorithm { get; }

    /// <summary>The header's <c>typ</c>, if any.</summary>
    public string? Type { get; }

    /// <summary>The header's <c>kid</c>, if any.</summary>
    public string? KeyId { get; }

    /// <summary>The unverified <c>iss</c> claim, if it is a string.</summary>
    public string? Issuer { get; }

    /// <summary>The unverified <c>sub</c> claim, if it is a string; for logging a refusal only.</summary>
    public string? Subject { get; }

    /// <summary>Whether the third segment is non-empty.</summary>
    public bool HasSignature { get; }

    /// <summary>The claims set, parsed from the same bytes the signature covers; trust it only after verification.</summary>
    public JsonElement Payload { get; }

    public static bool TryParse(string token, [NotNullWhen(true)] out UnverifiedJws? jws, [NotNullWhen(false)] out string? reason)
    {
        try
        {
            return TryParseCore(token, out jws, out reason);
        }
        catch (InvalidOperationException)
        {
            // Valid JSON holding a string that cannot be decoded (a lone surrogate escape such as "\ud800"):
            // System.Text.Json throws when the string is read. Malformed, like any other undecodable token.
            jws = null;
            reason = "token malformed";
            return false;
        }
    }

    private static bool TryParseCore(string token, [NotNullWhen(true)] out UnverifiedJws? jws, [NotNullWhen(false)] out string? reason)
    {
        jws = null;
        if (token.Length == 0)
        {
            reason = "token missing";
            return false;
        }

        // Checked before anything else so an oversized password costs one comparison.
        if (token.Length > MaxTokenLength)
        {
            reason = "token too large";
            return false;
        }

        var dots = 0;
        foreach (var c in token)
        {
            if (c == '.')
            {
                dots++;
            }
            else if (!IsBase64UrlChar(c))
            {
                reason = "token malformed";
                return false;
            }
        }

        if (dots == 4)
        {
            reason = "encrypted tokens (JWE) are not accepted";
            return false;
        }

        if (dots != 2)
        {
            reason = "token malformed";
            return false;
        }

        var first = token.IndexOf('.', StringComparison.Ordinal);
        var second = token.IndexOf('.', first + 1);
        var headerSegment = token.AsSpan(0, first);
        var payloadSegment = token.AsSpan(first + 1, second - first - 1);
        var hasSignature = second < token.Length - 1;

        if (!TryDecode(headerSegment, out var headerBytes) || !TryParseObject(headerBytes, out var header)
            || !TryDecode(payloadSegment, out var payloadBytes))
        {
            reason = "token malformed";
            return false;
        }

        if (!TryParseObject(payloadBytes, out var payload))
        {
            // A payload that is itself a compact token (signed or encrypted) would make the outer signature vouch
            // for claims nobody verified; named apart from garbage so the log says what was attempted.
            reason = IsCompactToken(payloadBytes) ? "nested tokens (payload is a token) are not accepted" : "token malformed";
            return false;
        }

        foreach (var name in ForbiddenHeaderParameters)
        {
            if (header.TryGetProperty(name, out _))
            {
                reason = $"header parameter '{name}' not allowed";
                return false;
            }
        }

        // A content type announces a nested token (cty "JWT", RFC 7519 §5.2) or a non-JWT payload; access tokens carry neither.
        if (header.TryGetProperty("cty", out _))
        {
            reason = "nested tokens (cty) are not accepted";
            return false;
        }

        string? type = null;
        if (header.TryGetProperty("typ", out var typ))
        {
            if (typ.ValueKind != JsonValueKind.String)
            {
                reason = "token malformed";
                return false;
            }

            type = typ.GetString();
        }

        if (!header.TryGetProperty("alg", out var alg) || alg.ValueKind != JsonValueKind.String || alg.GetString() is not { Length: > 0 } algorithm)
        {
            reason = "algorithm missing";
            return false;
        }

        string? keyId = null;
        if (header.TryGetProperty("kid", out var kid))
        {
            if (kid.ValueKind != JsonValueKind.String || kid.GetString() is not { Length: > 0 } kidValue)
            {
                reason = "token malformed";
                return false;
            }

            keyId = kidValue;
        }

        string? issuer = null;
        if (payload.TryGetProperty("iss", out var iss))
        {
            if (iss.ValueKind != JsonValueKind.String)
            {
                reason = "token malformed";
                return false;
            }

            issuer = iss.GetString();
        }

        var subject = payload.TryGetProperty("sub", out var sub) && sub.ValueKind == JsonValueKind.String ? sub.GetString() : null;

        jws = new UnverifiedJws(algorithm, keyId, type, issuer, subject, hasSignature, payload);
        reason = null;
        return true;
    }

    private static bool TryDecode(ReadOnlySpan<char> segment, out byte[] bytes)
    {
        bytes = [];
        if (segment.IsEmpty)
        {
            return false;
        }

        try
        {
            bytes = Base64Url.DecodeFromChars(segment);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static bool TryParseObject(byte[] bytes, out JsonElement element)
    {
        element = default;
        try
        {
            using var document = JsonDocument.Parse(bytes, JsonOptions);
            if (document.RootElement.ValueKind != JsonValueKind.Object || HasDuplicateNames(document.RootElement))
            {
                return false;
            }

            element = document.RootElement.Clone();
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Whether the bytes are a JWS (two dots) or JWE (four dots) in compact serialization: base64url segments, the first non-empty.</summary>
    private static bool IsCompactToken(ReadOnlySpan<byte> bytes)
    {
        var dots = 0;
        foreach (var b in bytes)
        {
            if (b == '.')
            {
                dots++;
            }
            else if (!IsBase64UrlChar((char)b))
            {
                return false;
            }
        }

        return dots is 2 or 4 && bytes.Length > 0 && bytes[0] != '.';
    }

    // JSON allows repeated member names and parsers disagree on which one wins; a token whose header or
    // claims could be read two ways (say "alg" twice) is refused instead of guessed (RFC 7515 §4).
    private static bool HasDuplicateNames(JsonElement obj)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in obj.EnumerateObject())
        {
            if (!seen.Add(property.Name))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsBase64UrlChar(char c) =>
        c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_';
}
