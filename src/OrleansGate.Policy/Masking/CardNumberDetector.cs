namespace OrleansGate.Policy.Masking;

/// <summary>
/// Payment card numbers: 13 to 19 digits, optionally in groups separated by one space or dash, that pass
/// the Luhn check. No issuer prefix is required, so cards of any network (and test cards) are found.
/// </summary>
/// <remarks>
/// Digits and separators form a run ("4111 1111 1111 1111 2024" is one run of five groups). A card may be
/// any whole groups of a run, so from each group the scanner tries the windows of following groups up to
/// 19 digits and keeps the longest that passes Luhn. That is a bounded amount of work per group, which
/// keeps the scan linear. A run glued to a letter ("x4111...") is an identifier, not a card, on that side.
/// </remarks>
public sealed class CardNumberDetector : IValueDetector
{
    private const int MinDigits = 13;
    private const int MaxDigits = 19;

    public string Name => "card";

    public void Detect(ReadOnlySpan<char> value, List<DetectedSpan> found)
    {
        ArgumentNullException.ThrowIfNull(found);

        var from = 0;
        while (from < value.Length)
        {
            var relative = value[from..].IndexOfAny(Scan.Digits);
            if (relative < 0)
            {
                return;
            }

            var groupStart = from + relative;
            var end = LongestCardFrom(value, groupStart);
            if (end > 0)
            {
                found.Add(new DetectedSpan(groupStart, end - groupStart, Name));
                from = end;
                continue;
            }

            var groupEnd = EndOfDigits(value, groupStart);
            from = StartsNextGroup(value, groupEnd) ? groupEnd + 1 : groupEnd;
        }
    }

    /// <summary>The end of the longest Luhn-valid window of whole groups starting at <paramref name="start"/>, or 0.</summary>
    private static int LongestCardFrom(ReadOnlySpan<char> value, int start)
    {
        if (start > 0 && char.IsAsciiLetter(value[start - 1]))
        {
            return 0;
        }

        var best = 0;
        var digits = 0;
        var groupStart = start;
        while (true)
        {
            var groupEnd = EndOfDigits(value, groupStart);
            digits += groupEnd - groupStart;
            if (digits > MaxDigits)
            {
                return best;
            }

            var last = !StartsNextGroup(value, groupEnd);
            var gluedToLetter = groupEnd < value.Length && char.IsAsciiLetter(value[groupEnd]);
            if (digits >= MinDigits && !gluedToLetter && PassesLuhn(value[start..groupEnd]))
            {
                best = groupEnd;
            }

            if (last)
            {
                return best;
            }

            groupStart = groupEnd + 1;
        }
    }

    private static int EndOfDigits(ReadOnlySpan<char> value, int index)
    {
        var relative = value[index..].IndexOfAnyExcept(Scan.Digits);
        return relative < 0 ? value.Length : index + relative;
    }

    private static bool StartsNextGroup(ReadOnlySpan<char> value, int groupEnd) =>
        groupEnd + 1 < value.Length && value[groupEnd] is ' ' or '-' && char.IsAsciiDigit(value[groupEnd + 1]);

    /// <summary>Luhn over the digits of <paramref name="number"/>, skipping separators: from the right, every second digit is doubled.</summary>
    internal static bool PassesLuhn(ReadOnlySpan<char> number)
    {
        var sum = 0;
        var doubled = false;
        for (var i = number.Length - 1; i >= 0; i--)
        {
            var c = number[i];
            if (!char.IsAsciiDigit(c))
            {
                continue;
            }

            var digit = c - '0';
            if (doubled)
            {
                digit *= 2;
                if (digit > 9)
                {
                    digit -= 9;
                }
            }

            sum += digit;
            doubled = !doubled;
        }

        return sum % 10 == 0;
    }
}
