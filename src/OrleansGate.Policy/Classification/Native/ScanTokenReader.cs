namespace OrleansGate.Policy.Classification.Native;

/// <summary>
/// Reads the byte ranges of the tokens out of libpg_query's protobuf <c>ScanResult</c>
/// (pg_query.proto: <c>repeated ScanToken tokens = 2</c>; ScanToken: start = 1, end = 2, token = 4).
/// Only the few fields needed are decoded; a malformed buffer yields false.
/// </summary>
internal static class ScanTokenReader
{
    // Token numbers from pg_query.proto's enum Token.
    private const int Fconst = 260;
    private const int Sconst = 261;
    private const int Usconst = 262;
    private const int Bconst = 263;
    private const int Xconst = 264;
    private const int Iconst = 266;
    private const int SqlComment = 275;
    private const int CComment = 276;

    /// <summary>Adds (start, end, class) for every token, in text order.</summary>
    public static bool TryRead(ReadOnlySpan<byte> scanResult, List<(int Start, int End, ScanTokenClass Class)> tokens)
    {
        while (!scanResult.IsEmpty)
        {
            if (!TryReadField(ref scanResult, out var field, out _, out var message))
            {
                return false;
            }

            if (field == 2 && !TryReadToken(message, tokens))
            {
                return false;
            }
        }

        return true;
    }

    private static bool TryReadToken(ReadOnlySpan<byte> message, List<(int Start, int End, ScanTokenClass Class)> tokens)
    {
        // proto3 leaves out fields with value 0, so a token at offset 0 has no start field.
        ulong start = 0, end = 0, token = 0;
        while (!message.IsEmpty)
        {
            if (!TryReadField(ref message, out var field, out var value, out _))
            {
                return false;
            }

            switch (field)
            {
                case 1:
                    start = value;
                    break;
                case 2:
                    end = value;
                    break;
                case 4:
                    token = value;
                    break;
            }
        }

        if (start > end || end > int.MaxValue)
        {
            return false;
        }

        tokens.Add(((int)start, (int)end, token switch
        {
            Fconst or Sconst or Usconst or Bconst or Xconst or Iconst => ScanTokenClass.Literal,
            SqlComment or CComment => ScanTokenClass.Comment,
            _ => ScanTokenClass.Other,
        }));
        return true;
    }

    /// <summary>Reads one field: a varint's value, or a length-delimited field's bytes; skips fixed-size fields.</summary>
    private static bool TryReadField(ref ReadOnlySpan<byte> buffer, out ulong field, out ulong value, out ReadOnlySpan<byte> bytes)
    {
        bytes = default;
        value = 0;
        if (!TryReadVarint(ref buffer, out var tag))
        {
            field = 0;
            return false;
        }

        field = tag >> 3;
        switch (tag & 7)
        {
            case 0:
                return TryReadVarint(ref buffer, out value);
            case 1:
                return TrySkip(ref buffer, 8);
            case 2:
                if (!TryReadVarint(ref buffer, out var length) || length > (ulong)buffer.Length)
                {
                    return false;
                }

                bytes = buffer[..(int)length];
                buffer = buffer[(int)length..];
                return true;
            case 5:
                return TrySkip(ref buffer, 4);
            default:
                return false;
        }
    }

    private static bool TrySkip(ref ReadOnlySpan<byte> buffer, int count)
    {
        if (buffer.Length < count)
        {
            return false;
        }

        buffer = buffer[count..];
        return true;
    }

    private static bool TryReadVarint(ref ReadOnlySpan<byte> buffer, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (buffer.IsEmpty)
            {
                return false;
            }

            var b = buffer[0];
            buffer = buffer[1..];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return true;
            }
        }

        return false;
    }
}
