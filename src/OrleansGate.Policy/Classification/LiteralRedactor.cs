using System.Buffers;
using System.Globalization;
using System.Text;
using OrleansGate.Policy.Classification.Native;

namespace OrleansGate.Policy.Classification;

/// <summary>
/// Finishes what pg_query_normalize leaves: it keeps literals where replacing them would change the
/// meaning of a utility statement (CALL arguments, PREPARE and CREATE VIEW bodies, CREATE TABLE AS,
/// COPY file names, column defaults) and keeps comments. Both can hold secrets, and the normalized
/// text goes to the audit log, so every remaining literal becomes a further <c>$n</c> and every comment
/// <c>/**/</c>, using the real lexer to find them.
/// </summary>
internal static class LiteralRedactor
{
    /// <summary>The redacted text, or null when the text does not scan (the caller fails closed).</summary>
    public static unsafe string? Redact(string normalized)
    {
        if (!MayHoldLiteralOrComment(normalized))
        {
            return normalized;
        }

        var byteCount = Encoding.UTF8.GetByteCount(normalized);
        var buffer = ArrayPool<byte>.Shared.Rent(byteCount + 1);
        try
        {
            Encoding.UTF8.GetBytes(normalized, buffer);
            buffer[byteCount] = 0;
            var tokens = new List<(int Start, int End, ScanTokenClass Class)>();
            fixed (byte* input = buffer)
            {
                if (!PgQuery.Scan(input, tokens))
                {
                    return null;
                }
            }

            return Rebuild(normalized, buffer.AsSpan(0, byteCount), tokens);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static string? Rebuild(string normalized, ReadOnlySpan<byte> utf8, List<(int Start, int End, ScanTokenClass Class)> tokens)
    {
        StringBuilder? builder = null;
        var next = 0;
        var copied = 0;
        for (var i = 0; i < tokens.Count; i++)
        {
            var (start, end, tokenClass) = tokens[i];
            if (tokenClass == ScanTokenClass.Other)
            {
                continue;
            }

            // libpg_query 15 reports U&'…' literals with end == start: the literal then runs to the next
            // token (or the end of the text), less the whitespace before it.
            if (end <= start)
            {
                end = i + 1 < tokens.Count ? tokens[i + 1].Start : utf8.Length;
                while (end > start && IsWhitespace(utf8[end - 1]))
                {
                    end--;
                }
            }

            if (start < copied || end > utf8.Length)
            {
                return null;
            }

            if (builder is null)
            {
                builder = new StringBuilder(normalized.Length);
                next = HighestParameter(normalized) + 1;
            }

            builder.Append(Encoding.UTF8.GetString(utf8[copied..start]));
            builder.Append(tokenClass == ScanTokenClass.Comment ? "/**/" : string.Create(CultureInfo.InvariantCulture, $"${next++}"));
            copied = end;
        }

        if (builder is null)
        {
            return normalized;
        }

        builder.Append(Encoding.UTF8.GetString(utf8[copied..]));
        return builder.ToString();
    }

    private static bool IsWhitespace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or (byte)'\f' or (byte)'\v';

    /// <summary>
    /// Cheap pre-check that spares the lexer for the common case (<c>SELECT … WHERE id = $1</c>): false only
    /// when the text has no quote, no comment start, no dollar quote and no digit outside <c>$n</c> and
    /// identifiers. When in doubt it answers true.
    /// </summary>
    private static bool MayHoldLiteralOrComment(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            var next = i + 1 < text.Length ? text[i + 1] : '\0';
            switch (c)
            {
                case '\'':
                    return true;
                case '-' when next == '-':
                case '/' when next == '*':
                    return true;
                case '$':
                    if (!char.IsAsciiDigit(next))
                    {
                        return true;
                    }

                    while (i + 1 < text.Length && char.IsAsciiDigit(text[i + 1]))
                    {
                        i++;
                    }

                    break;
                default:
                    // A digit that does not continue an identifier starts a number.
                    if (char.IsAsciiDigit(c) && (i == 0 || !(char.IsLetterOrDigit(text[i - 1]) || text[i - 1] == '_')))
                    {
                        return true;
                    }

                    break;
            }
        }

        return false;
    }

    /// <summary>The largest n of a <c>$n</c> in the text, so that new placeholders never collide with the normalizer's.</summary>
    private static int HighestParameter(string text)
    {
        var highest = 0;
        for (var i = text.IndexOf('$', StringComparison.Ordinal); i >= 0; i = text.IndexOf('$', i + 1))
        {
            var value = 0;
            var j = i + 1;
            while (j < text.Length && char.IsAsciiDigit(text[j]) && value < 100_000_000)
            {
                value = (value * 10) + (text[j] - '0');
                j++;
            }

            highest = Math.Max(highest, value);
        }

        return highest;
    }
}
