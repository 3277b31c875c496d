namespace OrleansGate.Edge.Masking;

/// <summary>Lower-case hex in and out of UTF-8, without the strings <see cref="Convert"/> would allocate.</summary>
internal static class Hex
{
    private static ReadOnlySpan<byte> Digits => "0123456789abcdef"u8;

    /// <summary>Writes two digits per byte of <paramref name="source"/>; <paramref name="dest"/> is twice as long.</summary>
    public static void WriteLower(ReadOnlySpan<byte> source, Span<byte> dest)
    {
        for (var i = 0; i < source.Length; i++)
        {
            dest[2 * i] = Digits[source[i] >> 4];
            dest[(2 * i) + 1] = Digits[source[i] & 0xF];
        }
    }

    /// <summary>The value of one hex digit, or -1.</summary>
    public static int Value(int c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };

    /// <summary>Decodes pairs of digits; false on an odd count or a non-digit.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> source, Span<byte> dest)
    {
        if (source.Length != 2 * dest.Length)
        {
            return false;
        }

        for (var i = 0; i < dest.Length; i++)
        {
            var high = Value(source[2 * i]);
            var low = Value(source[(2 * i) + 1]);
            if ((high | low) < 0)
            {
                return false;
            }

            dest[i] = (byte)((high << 4) | low);
        }

        return true;
    }
}
