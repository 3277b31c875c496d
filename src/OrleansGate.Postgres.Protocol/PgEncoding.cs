using System.Buffers;
using System.Text;

namespace OrleansGate.Postgres.Protocol;

/// <summary>UTF-8 as the protocol uses it: strict when reading what we act on, lenient for text we only show.</summary>
internal static class PgEncoding
{
    /// <summary>Throws on invalid bytes, so the text we classify is exactly the text PostgreSQL would see.</summary>
    public static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Replaces invalid bytes with U+FFFD.</summary>
    public static readonly UTF8Encoding Lenient = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    public static string DecodeStrict(in ReadOnlySequence<byte> bytes, string messageName)
    {
        try
        {
            return Strict.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw PgProtocolException.Violation($"invalid {messageName} message: a string is not valid UTF-8");
        }
    }

    /// <summary>The bytes a NUL-terminated string takes on the wire, terminator included.</summary>
    /// <remarks>Writers encode with <see cref="Lenient"/> (a lone surrogate becomes U+FFFD) so reporting an error never fails on its text.</remarks>
    public static int CStringByteCount(string value, string paramName)
    {
        ArgumentNullException.ThrowIfNull(value, paramName);

        // An embedded NUL would end the field early and let the rest be read as further fields.
        if (value.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("A protocol string cannot contain a NUL character.", paramName);
        }

        return checked(Lenient.GetByteCount(value) + 1);
    }
}
