using System.Buffers;

namespace OrleansGate.Kubernetes.Requests;

/// <summary>The RFC 3986 character classes the path and query checks use, and percent-escape reading.</summary>
internal static class UriCharacters
{
    // RFC 3986 pchar without "%": unreserved, sub-delims, ":" and "@". A decoded path made only of these can be
    // written back unencoded and still parse to the same segments, which is what makes the decoded path safe to forward.
    private static readonly SearchValues<char> SegmentCharacters = SearchValues.Create(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@");

    /// <summary>May stand unencoded inside a path segment (and so also in a query).</summary>
    public static bool IsSegmentCharacter(char c) => SegmentCharacters.Contains(c);

    /// <summary>May stand unencoded in a query, besides <c>%</c> escapes (RFC 3986 adds "/" and "?").</summary>
    public static bool IsQueryCharacter(char c) => IsSegmentCharacter(c) || c is '/' or '?';

    public static bool IsControl(int c) => c < 0x20 || c == 0x7F;

    /// <summary>Reads the escape <c>%XX</c> at <paramref name="index"/>; false if the two hex digits are not there.</summary>
    public static bool TryReadEscape(ReadOnlySpan<char> text, int index, out byte value)
    {
        value = 0;
        if (index + 2 >= text.Length)
        {
            return false;
        }

        var high = HexValue(text[index + 1]);
        var low = HexValue(text[index + 2]);
        if (high < 0 || low < 0)
        {
            return false;
        }

        value = (byte)((high << 4) | low);
        return true;
    }

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };
}
