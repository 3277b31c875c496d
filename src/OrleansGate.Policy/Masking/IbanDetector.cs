namespace OrleansGate.Policy.Masking;

/// <summary>
/// IBANs (ISO 13616): two upper-case letters, two check digits and an upper-case alphanumeric BBAN,
/// 15 to 34 characters in all, that pass the mod-97 check. Written either compact or in the printed
/// form with a space after every four characters; word-bounded. Per-country lengths are not checked.
/// </summary>
/// <remarks>
/// In the printed form the text after the IBAN may look like one more group ("... 7654 32 FOR ..."), so
/// every whole-group prefix is tried and the longest that passes the check wins: at most nine groups,
/// a bounded amount of work per candidate start, so the scan stays linear.
/// </remarks>
public sealed class IbanDetector : IValueDetector
{
    private const int MinLength = 15;
    private const int MaxLength = 34;
    private const int GroupLength = 4;

    public string Name => "iban";

    public void Detect(ReadOnlySpan<char> value, List<DetectedSpan> found)
    {
        ArgumentNullException.ThrowIfNull(found);

        var i = 0;
        while (i <= value.Length - MinLength)
        {
            var end = IsCandidateStart(value, i) ? MatchAt(value, i) : 0;
            if (end > 0)
            {
                found.Add(new DetectedSpan(i, end - i, Name));
                i = end;
            }
            else
            {
                i++;
            }
        }
    }

    private static bool IsCandidateStart(ReadOnlySpan<char> value, int i) =>
        char.IsAsciiLetterUpper(value[i]) && char.IsAsciiLetterUpper(value[i + 1])
        && char.IsAsciiDigit(value[i + 2]) && char.IsAsciiDigit(value[i + 3])
        && !Scan.IsWordAt(value, i - 1);

    /// <summary>The end of the IBAN starting at <paramref name="start"/>, or 0 when there is none.</summary>
    private static int MatchAt(ReadOnlySpan<char> value, int start)
    {
        // Compact form: the whole alphanumeric word is the IBAN or nothing is.
        var compactEnd = start;
        while (compactEnd < value.Length && compactEnd - start <= MaxLength && Scan.IsUpperAlphanumeric(value[compactEnd]))
        {
            compactEnd++;
        }

        var compactLength = compactEnd - start;
        if (compactLength > GroupLength)
        {
            return compactLength is >= MinLength and <= MaxLength && !Scan.IsWordAt(value, compactEnd)
                && PassesMod97(value[start..compactEnd]) ? compactEnd : 0;
        }

        // Printed form: groups of four separated by one space, the last group one to four characters.
        var best = 0;
        var length = 0;
        var groupStart = start;
        while (length < MaxLength)
        {
            var groupEnd = groupStart;
            while (groupEnd < value.Length && groupEnd - groupStart < GroupLength && Scan.IsUpperAlphanumeric(value[groupEnd]))
            {
                groupEnd++;
            }

            if (groupEnd == groupStart || Scan.IsWordAt(value, groupEnd))
            {
                return best;
            }

            length += groupEnd - groupStart;
            if (length is >= MinLength and <= MaxLength && PassesMod97(value[start..groupEnd]))
            {
                best = groupEnd;
            }

            var full = groupEnd - groupStart == GroupLength;
            if (!full || groupEnd + 1 >= value.Length || value[groupEnd] != ' ')
            {
                return best;
            }

            groupStart = groupEnd + 1;
        }

        return best;
    }

    /// <summary>
    /// ISO 7064 mod 97-10 as ISO 13616 applies it: move the first four characters to the end, read letters
    /// as 10–35, and the number must leave remainder 1. Check digits 00, 01 and 99 are never issued.
    /// </summary>
    internal static bool PassesMod97(ReadOnlySpan<char> iban)
    {
        var check = iban[2..4];
        if (check is "00" or "01" or "99")
        {
            return false;
        }

        var remainder = 0;
        for (var pass = 0; pass < 2; pass++)
        {
            foreach (var c in pass == 0 ? iban[4..] : iban[..4])
            {
                if (c == ' ')
                {
                    continue;
                }

                remainder = char.IsAsciiDigit(c)
                    ? ((remainder * 10) + (c - '0')) % 97
                    : ((remainder * 100) + (c - 'A' + 10)) % 97;
            }
        }

        return remainder == 1;
    }
}
