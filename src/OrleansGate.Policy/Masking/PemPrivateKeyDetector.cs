namespace OrleansGate.Policy.Masking;

/// <summary>
/// PEM private keys: from a <c>-----BEGIN ... PRIVATE KEY-----</c> line (PKCS#1, PKCS#8, encrypted, EC,
/// OpenSSH; also PGP's <c>PRIVATE KEY BLOCK</c>) through the next <c>-----END ... PRIVATE KEY-----</c> line.
/// </summary>
/// <remarks>
/// A key without its END line (a truncated column, a value cut by the client) is still key material, so
/// the match then runs to the end of the value: failing closed.
/// </remarks>
public sealed class PemPrivateKeyDetector : IValueDetector
{
    private const string Dashes = "-----";
    private const string Begin = "-----BEGIN ";
    private const string End = "-----END ";

    // Real labels are short ("ENCRYPTED PRIVATE KEY"); a bound keeps the label check constant per candidate.
    private const int MaxLabelLength = 64;

    public string Name => "pem_private_key";

    public void Detect(ReadOnlySpan<char> value, List<DetectedSpan> found)
    {
        ArgumentNullException.ThrowIfNull(found);

        var from = 0;
        while (from < value.Length)
        {
            var start = FindLine(value, from, Begin, out var headerEnd);
            if (start < 0)
            {
                return;
            }

            var end = FindLine(value, headerEnd, End, out var footerEnd) < 0 ? value.Length : footerEnd;
            found.Add(new DetectedSpan(start, end - start, Name));
            from = end;
        }
    }

    /// <summary>
    /// The start of the first <paramref name="marker"/> line of a private key at or after
    /// <paramref name="from"/> ("-----END CERTIFICATE-----" is passed over), or -1; its end in <paramref name="lineEnd"/>.
    /// </summary>
    private static int FindLine(ReadOnlySpan<char> value, int from, string marker, out int lineEnd)
    {
        while (from < value.Length)
        {
            var relative = value[from..].IndexOf(marker, StringComparison.Ordinal);
            if (relative < 0)
            {
                break;
            }

            var start = from + relative;
            lineEnd = EndOfPrivateKeyLabel(value, start + marker.Length);
            if (lineEnd > 0)
            {
                return start;
            }

            from = start + marker.Length;
        }

        lineEnd = 0;
        return -1;
    }

    /// <summary>
    /// When a label such as "RSA PRIVATE KEY-----" starts at <paramref name="labelStart"/>, the index after
    /// its closing dashes; otherwise 0.
    /// </summary>
    private static int EndOfPrivateKeyLabel(ReadOnlySpan<char> value, int labelStart)
    {
        var rest = value[labelStart..];
        var window = rest[..Math.Min(rest.Length, MaxLabelLength + Dashes.Length)];
        var labelLength = window.IndexOf(Dashes, StringComparison.Ordinal);
        if (labelLength < 0)
        {
            return 0;
        }

        var label = window[..labelLength];
        foreach (var c in label)
        {
            if (!char.IsAsciiLetterUpper(c) && !char.IsAsciiDigit(c) && c != ' ')
            {
                return 0;
            }
        }

        return label.EndsWith("PRIVATE KEY", StringComparison.Ordinal) || label.EndsWith("PRIVATE KEY BLOCK", StringComparison.Ordinal)
            ? labelStart + labelLength + Dashes.Length
            : 0;
    }
}
