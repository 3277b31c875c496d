namespace OrleansGate.Policy.Masking;

/// <summary>
/// US Social Security numbers written AAA-GG-SSSS, word-bounded, without the numbers the SSA never issues:
/// area 000, 666 or 900–999, group 00, serial 0000. Undashed nine-digit numbers are not matched: too many
/// other numbers have nine digits.
/// </summary>
public sealed class UsSsnDetector : IValueDetector
{
    private const int Length = 11;

    public string Name => "us_ssn";

    public void Detect(ReadOnlySpan<char> value, List<DetectedSpan> found)
    {
        ArgumentNullException.ThrowIfNull(found);

        // Every SSN has a dash at offset 3, so only dashes are candidates: a constant check per dash.
        var from = 3;
        while (from <= value.Length - (Length - 3))
        {
            var relative = value[from..].IndexOf('-');
            if (relative < 0)
            {
                return;
            }

            var start = from + relative - 3;
            if (start + Length <= value.Length && IsSsn(value.Slice(start, Length))
                && !Scan.IsWordAt(value, start - 1) && !Scan.IsWordAt(value, start + Length))
            {
                found.Add(new DetectedSpan(start, Length, Name));
                from = start + Length + 3;
            }
            else
            {
                from = start + 4;
            }
        }
    }

    private static bool IsSsn(ReadOnlySpan<char> s)
    {
        if (s[3] != '-' || s[6] != '-'
            || s[..3].ContainsAnyExcept(Scan.Digits) || s[4..6].ContainsAnyExcept(Scan.Digits)
            || s[7..].ContainsAnyExcept(Scan.Digits))
        {
            return false;
        }

        var area = s[..3];
        return area is not "000" and not "666" && area[0] != '9' && s[4..6] is not "00" && s[7..] is not "0000";
    }
}
