using System.Buffers;

namespace OrleansGate.Policy.Masking;

/// <summary>
/// Email addresses: a local part of RFC 5322 atom characters and dots, <c>@</c>, and a domain of at least
/// two dot-separated labels (letters, digits, inner hyphens) whose last label is two or more letters.
/// </summary>
public sealed class EmailDetector : IValueDetector
{
    private static readonly SearchValues<char> AsciiLetters =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

    public string Name => "email";

    public void Detect(ReadOnlySpan<char> value, List<DetectedSpan> found)
    {
        ArgumentNullException.ThrowIfNull(found);

        // Neither part may contain '@', so the local part of one candidate and the domain of the next
        // never share characters: each character is looked at at most twice and the scan stays linear
        // even for "a@a@a@...".
        var from = 0;
        while (from < value.Length)
        {
            var relative = value[from..].IndexOf('@');
            if (relative < 0)
            {
                return;
            }

            var at = from + relative;
            var start = at;
            while (start > from && IsLocalChar(value[start - 1]))
            {
                start--;
            }

            // A dot cannot start a local part; "see.a@b.com" keeps the "a" only when the dot is a separator.
            while (start < at && value[start] == '.')
            {
                start++;
            }

            var domainEnd = at + 1;
            while (domainEnd < value.Length && IsDomainChar(value[domainEnd]))
            {
                domainEnd++;
            }

            // A sentence may end right after the address ("write to a@b.com.").
            while (domainEnd > at + 1 && value[domainEnd - 1] is '.' or '-')
            {
                domainEnd--;
            }

            if (start < at && IsDomain(value[(at + 1)..domainEnd]))
            {
                found.Add(new DetectedSpan(start, domainEnd - start, Name));
                from = domainEnd;
            }
            else
            {
                from = at + 1;
            }
        }
    }

    private static bool IsLocalChar(char c) =>
        char.IsAsciiLetterOrDigit(c) || c is '.' or '!' or '#' or '$' or '%' or '&' or '\'' or '*' or '+' or '/'
            or '=' or '?' or '^' or '_' or '`' or '{' or '|' or '}' or '~' or '-';

    private static bool IsDomainChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or '-';

    private static bool IsDomain(ReadOnlySpan<char> domain)
    {
        var labels = 0;
        var rest = domain;
        while (true)
        {
            var dot = rest.IndexOf('.');
            var label = dot < 0 ? rest : rest[..dot];
            if (label.IsEmpty || label[0] == '-' || label[^1] == '-')
            {
                return false;
            }

            labels++;
            if (dot < 0)
            {
                return labels >= 2 && label.Length >= 2 && !label.ContainsAnyExcept(AsciiLetters);
            }

            rest = rest[(dot + 1)..];
        }
    }
}
