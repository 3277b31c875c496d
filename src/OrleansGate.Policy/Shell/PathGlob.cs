namespace OrleansGate.Policy.Shell;

/// <summary>
/// fnmatch-style globs over paths, case-sensitive as file names are: <c>*</c> and <c>?</c> never match <c>/</c>,
/// <c>**</c> matches anything (slashes too), <c>[abc]</c>, <c>[a-z]</c> and <c>[!a]</c> match one character other
/// than <c>/</c>, and <c>\x</c> matches x literally. Unlike <see cref="Evaluation.Glob"/>, whose <c>*</c> crosses
/// <c>/</c>: <c>/var/log/*</c> must not cover <c>/var/log/x/../../../etc/passwd</c>'s cousins.
/// </summary>
/// <remarks>
/// An argument can hold glob characters the host will expand (<c>/var/log/*.log</c>). In the text matched, <c>*</c>,
/// <c>?</c> and <c>[</c> are matched only by a pattern's <c>*</c> or <c>**</c> (or the same character escaped), so a
/// pattern covers such an argument only where it covers everything the host could expand it to.
/// </remarks>
public static class PathGlob
{
    public static bool IsMatch(string pattern, string text) => Match(pattern, text, prefixOnly: false);

    /// <summary>Whether some text that starts with <paramref name="prefix"/> could match <paramref name="pattern"/>.</summary>
    public static bool CouldMatchPrefix(string pattern, string prefix) => Match(pattern, prefix, prefixOnly: true);

    public static bool AnyMatch(IReadOnlyList<string> patterns, string text)
    {
        for (var i = 0; i < patterns.Count; i++)
        {
            if (IsMatch(patterns[i], text))
            {
                return true;
            }
        }

        return false;
    }

    private static bool Match(string pattern, string text, bool prefixOnly)
    {
        // Memoised over (pattern index, text index): at most one visit each, however many stars.
        var memo = new byte[(pattern.Length + 1) * (text.Length + 1)];
        return At(0, 0);

        bool At(int p, int t)
        {
            var slot = (p * (text.Length + 1)) + t;
            if (memo[slot] != 0)
            {
                return memo[slot] == 1;
            }

            var result = Step(p, t);
            memo[slot] = result ? (byte)1 : (byte)2;
            return result;
        }

        bool Step(int p, int t)
        {
            if (t == text.Length && prefixOnly)
            {
                return true;
            }

            if (p == pattern.Length)
            {
                return t == text.Length;
            }

            var c = pattern[p];
            if (c == '*')
            {
                var any = p + 1 < pattern.Length && pattern[p + 1] == '*';
                var next = p + 1;
                while (next < pattern.Length && pattern[next] == '*')
                {
                    next++;
                }

                return At(next, t) || (t < text.Length && (any || text[t] != '/') && At(p, t + 1));
            }

            if (t == text.Length)
            {
                return false;
            }

            var ch = text[t];
            if (c == '\\' && p + 1 < pattern.Length)
            {
                return pattern[p + 1] == ch && At(p + 2, t + 1);
            }

            if (ch is '*' or '?' or '[')
            {
                return false; // only a star covers what the host may expand
            }

            if (c == '?')
            {
                return ch != '/' && At(p + 1, t + 1);
            }

            if (c == '[' && ClassEnd(pattern, p) is var end && end > 0)
            {
                return ch != '/' && InClass(pattern, p + 1, end, ch) && At(end + 1, t + 1);
            }

            return c == ch && At(p + 1, t + 1);
        }
    }

    /// <summary>The index of the ']' closing the class at <paramref name="open"/>, or -1 (then '[' is literal).</summary>
    private static int ClassEnd(string pattern, int open)
    {
        var i = open + 1;
        if (i < pattern.Length && pattern[i] is '!' or '^')
        {
            i++;
        }

        if (i < pattern.Length && pattern[i] == ']')
        {
            i++; // a leading ']' is a member
        }

        var close = pattern.IndexOf(']', i);
        return close;
    }

    private static bool InClass(string pattern, int from, int end, char ch)
    {
        var negate = pattern[from] is '!' or '^';
        var i = negate ? from + 1 : from;
        var found = false;
        while (i < end)
        {
            if (i + 2 < end && pattern[i + 1] == '-')
            {
                found |= ch >= pattern[i] && ch <= pattern[i + 2];
                i += 3;
            }
            else
            {
                found |= pattern[i] == ch;
                i++;
            }
        }

        return found != negate;
    }
}
