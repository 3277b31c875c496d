namespace OrleansGate.Policy.Masking;

/// <summary>
/// JSON Web Tokens in compact form: base64url segments joined by dots, the first starting with <c>eyJ</c>
/// (base64 of <c>{"</c>, the start of the JSON header), the first two non-empty. The signature may be
/// empty (<c>alg: none</c>); the further segments of a five-part JWE are taken in too.
/// </summary>
public sealed class JwtDetector : IValueDetector
{
    public string Name => "jwt";

    public void Detect(ReadOnlySpan<char> value, List<DetectedSpan> found)
    {
        ArgumentNullException.ThrowIfNull(found);

        var from = 0;
        while (from < value.Length)
        {
            var relative = value[from..].IndexOf("eyJ", StringComparison.Ordinal);
            if (relative < 0)
            {
                return;
            }

            var start = from + relative;
            var headerEnd = EndOfSegment(value, start);

            // A header glued to other token characters is the middle of something else; skipping the
            // whole segment (not one character) keeps "eyJeyJeyJ..." linear.
            if (start > 0 && (IsSegmentChar(value[start - 1]) || value[start - 1] == '.'))
            {
                from = headerEnd;
                continue;
            }

            var end = EndOfToken(value, headerEnd);
            if (end > 0)
            {
                found.Add(new DetectedSpan(start, end - start, Name));
                from = end;
            }
            else
            {
                from = headerEnd;
            }
        }
    }

    /// <summary>The end of the token whose header ends at <paramref name="headerEnd"/>, or 0 when it has no payload.</summary>
    private static int EndOfToken(ReadOnlySpan<char> value, int headerEnd)
    {
        if (headerEnd >= value.Length || value[headerEnd] != '.')
        {
            return 0;
        }

        var payloadEnd = EndOfSegment(value, headerEnd + 1);
        if (payloadEnd == headerEnd + 1 || payloadEnd >= value.Length || value[payloadEnd] != '.')
        {
            return 0;
        }

        var end = EndOfSegment(value, payloadEnd + 1);
        while (end + 1 < value.Length && value[end] == '.' && IsSegmentChar(value[end + 1]))
        {
            end = EndOfSegment(value, end + 1);
        }

        return end;
    }

    private static int EndOfSegment(ReadOnlySpan<char> value, int index)
    {
        while (index < value.Length && IsSegmentChar(value[index]))
        {
            index++;
        }

        return index;
    }

    private static bool IsSegmentChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_';
}
