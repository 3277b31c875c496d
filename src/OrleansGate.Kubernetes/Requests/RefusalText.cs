using System.Globalization;
using System.Text;

namespace OrleansGate.Kubernetes.Requests;

/// <summary>Puts request text into a refusal reason safely: quoted, escaped and shortened.</summary>
internal static class RefusalText
{
    private const int MaxQuotedLength = 64;

    /// <summary>
    /// Quotes <paramref name="text"/>, writing control and non-ASCII characters as <c>\uXXXX</c>: a reason is
    /// written to the audit log and shown to the agent, so request bytes must not forge lines or hide characters.
    /// </summary>
    public static string Quote(ReadOnlySpan<char> text)
    {
        var builder = new StringBuilder(Math.Min(text.Length, MaxQuotedLength) + 8).Append('"');
        foreach (var c in text.Length > MaxQuotedLength ? text[..MaxQuotedLength] : text)
        {
            if (c is '"' or '\\')
            {
                builder.Append('\\').Append(c);
            }
            else if (c < 0x20 || c >= 0x7F)
            {
                builder.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }

        builder.Append('"');
        return text.Length > MaxQuotedLength ? builder.Append("...").ToString() : builder.ToString();
    }

    public static string Quote(char c) => Quote([c]);

    /// <summary>An escaped byte as it is written in a URL, e.g. <c>%2F</c>.</summary>
    public static string Escape(byte value) => "%" + value.ToString("X2", CultureInfo.InvariantCulture);
}
