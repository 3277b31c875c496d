using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;

namespace OrleansGate.Policy.Classification.Native;

/// <summary>
/// Managed calls into libpg_query: every result is copied out and freed before returning.
/// Inputs are NUL-terminated UTF-8, encoded once by the caller and shared by all three calls.
/// </summary>
internal static unsafe class PgQuery
{
    /// <summary>The parse tree as UTF-8 JSON, or null and the parser's error.</summary>
    public static byte[]? Parse(byte* input, out NativeError error)
    {
        var result = PgQueryNative.Parse(input);
        try
        {
            if (result.Error is not null)
            {
                error = ReadError(result.Error);
                return null;
            }

            error = default;
            return MemoryMarshal.CreateReadOnlySpanFromNullTerminated(result.ParseTree).ToArray();
        }
        finally
        {
            PgQueryNative.FreeParseResult(result);
        }
    }

    /// <summary>The text with literals replaced by <c>$n</c>, or null and the error.</summary>
    public static string? Normalize(byte* input, out NativeError error)
    {
        var result = PgQueryNative.Normalize(input);
        try
        {
            if (result.Error is not null)
            {
                error = ReadError(result.Error);
                return null;
            }

            error = default;
            return ReadString(result.NormalizedQuery);
        }
        finally
        {
            PgQueryNative.FreeNormalizeResult(result);
        }
    }

    /// <summary>The fingerprint as 16 hex digits, or null and the error.</summary>
    public static string? Fingerprint(byte* input, out NativeError error)
    {
        var result = PgQueryNative.Fingerprint(input);
        try
        {
            if (result.Error is not null)
            {
                error = ReadError(result.Error);
                return null;
            }

            error = default;
            return ReadString(result.FingerprintText);
        }
        finally
        {
            PgQueryNative.FreeFingerprintResult(result);
        }
    }

    /// <summary>The fingerprint of a managed string, or null and the error.</summary>
    public static string? Fingerprint(string text, out NativeError error)
    {
        var byteCount = Encoding.UTF8.GetByteCount(text);
        var buffer = ArrayPool<byte>.Shared.Rent(byteCount + 1);
        try
        {
            Encoding.UTF8.GetBytes(text, buffer);
            buffer[byteCount] = 0;
            fixed (byte* input = buffer)
            {
                return Fingerprint(input, out error);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Adds the byte range and class of every token to <paramref name="tokens"/>; false when the text does not scan.</summary>
    public static bool Scan(byte* input, List<(int Start, int End, ScanTokenClass Class)> tokens)
    {
        var result = PgQueryNative.Scan(input);
        try
        {
            return result.Error is null
                && result.Protobuf.Length <= int.MaxValue
                && ScanTokenReader.TryRead(new ReadOnlySpan<byte>(result.Protobuf.Data, (int)result.Protobuf.Length), tokens);
        }
        finally
        {
            PgQueryNative.FreeScanResult(result);
        }
    }

    private static NativeError ReadError(PgQueryError* error) =>
        new(error->Message is null ? "unknown parser error" : ReadString(error->Message), error->CursorPosition);

    private static string ReadString(byte* text) =>
        text is null ? "" : Encoding.UTF8.GetString(MemoryMarshal.CreateReadOnlySpanFromNullTerminated(text));
}
