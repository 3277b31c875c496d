using System.Globalization;
using System.Text;

namespace OrleansGate.Policy.Shell;

/// <summary>
/// Splits one command line into words and operators as a POSIX shell (and bash) would, doing quote removal on the way.
/// Anything whose text is only known when it runs (expansions, substitutions, brace and tilde expansion) is refused
/// here, at the offset where it stands, rather than guessed. Here-document bodies are read at the newline that ends
/// their line, as the shell reads them.
/// </summary>
internal sealed class ShellLexer(string text)
{
    /// <summary>Operators, longest first so <c>&amp;&amp;</c> is never read as two <c>&amp;</c>.</summary>
    private static readonly string[] Operators =
        ["&>>", ";;&", "<<<", "<<-", "&&", "||", ";;", ";&", "|&", "&>", "<<", "<>", "<&", "<(", ">>", ">|", ">&", ">(", "((", "&", ";", "|", "(", ")", "<", ">"];

    private readonly List<(string Delimiter, bool Literal, bool StripTabs, int Offset)> _heredocs = [];
    private int _pos;
    private ShellToken? _peeked;

    public ShellToken Peek() => _peeked ??= Lex();

    public ShellToken Next()
    {
        var token = Peek();
        _peeked = null;
        return token;
    }

    /// <summary>A here-document whose body starts after the current line; with an unquoted delimiter the body may not expand anything.</summary>
    public void ExpectHeredoc(string delimiter, bool literal, bool stripTabs, int offset) =>
        _heredocs.Add((delimiter, literal, stripTabs, offset));

    private ShellToken Lex()
    {
        SkipBlanksAndComment();
        if (_pos >= text.Length)
        {
            if (_heredocs.Count > 0)
            {
                throw Refuse($"the here-document at offset {_heredocs[0].Offset} has no body");
            }

            return new ShellToken(ShellTokenKind.End, "end of line", _pos);
        }

        var start = _pos;
        var c = text[_pos];
        if (c == '\n')
        {
            _pos++;
            ReadHeredocBodies();
            return new ShellToken(ShellTokenKind.Newline, "newline", start);
        }

        if (char.IsAsciiDigit(c))
        {
            var end = _pos;
            while (end < text.Length && char.IsAsciiDigit(text[end]))
            {
                end++;
            }

            if (end < text.Length && text[end] is '<' or '>')
            {
                var fd = text[_pos..end];
                _pos = end;
                return LexOperator() with { Fd = fd, Offset = start };
            }
        }

        return c is ';' or '&' or '|' or '(' or ')' or '<' or '>' ? LexOperator() : LexWord();
    }

    private void SkipBlanksAndComment()
    {
        while (_pos < text.Length)
        {
            var c = text[_pos];
            if (c is ' ' or '\t')
            {
                _pos++;
            }
            else if (c == '\\' && _pos + 1 < text.Length && text[_pos + 1] == '\n')
            {
                _pos += 2; // line continuation
            }
            else if (c == '#')
            {
                // A comment runs to the end of the line; the newline itself still separates commands.
                var end = text.IndexOf('\n', _pos);
                _pos = end < 0 ? text.Length : end;
            }
            else
            {
                return;
            }
        }
    }

    private ShellToken LexOperator()
    {
        var start = _pos;
        foreach (var op in Operators)
        {
            if (string.CompareOrdinal(text, _pos, op, 0, op.Length) == 0)
            {
                _pos += op.Length;
                return op switch
                {
                    "<(" or ">(" => throw Refuse($"process substitution '{op}…)' at offset {start}: its output or input is only known when it runs"),
                    "((" => throw Refuse($"arithmetic command '((…))' at offset {start} is refused"),
                    ";;" or ";;&" or ";&" => throw Refuse($"'{op}' at offset {start} belongs to a case statement; compound commands are refused"),
                    _ => new ShellToken(ShellTokenKind.Operator, op, start),
                };
            }
        }

        throw Refuse($"unknown operator at offset {start}");
    }

    private ShellToken LexWord()
    {
        var start = _pos;
        var word = new StringBuilder();
        var quoted = false;
        var brace = false;
        List<int>? globs = null;
        while (_pos < text.Length)
        {
            var c = text[_pos];
            if (c is ' ' or '\t' or '\n' or ';' or '&' or '|' or '(' or ')' or '<' or '>')
            {
                break;
            }

            switch (c)
            {
                case '\\':
                    if (_pos + 1 >= text.Length)
                    {
                        throw Refuse($"a backslash at the end of the line (offset {_pos}) escapes nothing");
                    }

                    if (text[_pos + 1] != '\n')
                    {
                        word.Append(text[_pos + 1]);
                        quoted = true;
                    }

                    _pos += 2;
                    break;
                case '\'':
                    var close = text.IndexOf('\'', _pos + 1);
                    if (close < 0)
                    {
                        throw Refuse($"the single quote at offset {_pos} is never closed");
                    }

                    word.Append(text, _pos + 1, close - _pos - 1);
                    quoted = true;
                    _pos = close + 1;
                    break;
                case '"':
                    ReadDoubleQuoted(word);
                    quoted = true;
                    break;
                case '$':
                    throw Refuse(Dollar(_pos));
                case '`':
                    throw Refuse($"command substitution '`…`' at offset {_pos}: its output is only known when it runs");
                case '~':
                    throw Refuse($"'~' at offset {_pos}: tilde expansion names a home directory only the host knows; write the path");
                default:
                    if (c is '*' or '?' or '[')
                    {
                        (globs ??= []).Add(word.Length);
                    }

                    brace |= c == '{';
                    word.Append(c);
                    _pos++;
                    break;
            }
        }

        var raw = text[start.._pos];
        if (_heredocs.Count > 0 && raw.Contains('\n', StringComparison.Ordinal))
        {
            throw Refuse($"the word at offset {start} runs over the line a here-document starts after");
        }

        if (brace && raw is not ("{" or "{}"))
        {
            throw Refuse($"'{{' in the word at offset {start}: brace expansion ({{a,b}}, {{1..9}}) is refused; quote it if it is meant literally");
        }

        var result = word.ToString();
        globs?.RemoveAll(i => result[i] == '[' && result.IndexOf(']', i + 1) < 0); // a '[' never closed is literal
        if (globs is { Count: > 0 })
        {
            CheckGlobSegments(result, globs, start);
        }

        return new ShellToken(ShellTokenKind.Word, raw, start, new ShellWord(result, raw, quoted, start));
    }

    /// <summary>
    /// A glob segment starting with '.' or a bracket expression (<c>.*</c>, <c>[.][.]</c>) may match <c>..</c> on some
    /// shells, which would step out of a directory the text seems to stay in.
    /// </summary>
    private static void CheckGlobSegments(string word, List<int> globs, int offset)
    {
        foreach (var index in globs)
        {
            var segment = word.LastIndexOf('/', index) + 1;
            if (word[segment] == '.' || (word[segment] == '[' && globs.Contains(segment)))
            {
                throw Refuse($"the pattern at offset {offset} has a segment starting with '{word[segment]}' that may match '..'");
            }
        }
    }

    private void ReadDoubleQuoted(StringBuilder word)
    {
        var open = _pos++;
        while (true)
        {
            if (_pos >= text.Length)
            {
                throw Refuse($"the double quote at offset {open} is never closed");
            }

            var c = text[_pos];
            switch (c)
            {
                case '"':
                    _pos++;
                    return;
                case '\\' when _pos + 1 < text.Length && text[_pos + 1] is '$' or '`' or '"' or '\\' or '\n':
                    if (text[_pos + 1] != '\n')
                    {
                        word.Append(text[_pos + 1]);
                    }

                    _pos += 2;
                    break;
                case '$':
                    throw Refuse(Dollar(_pos, quoted: true));
                case '`':
                    throw Refuse($"command substitution '`…`' at offset {_pos}: its output is only known when it runs");
                default:
                    word.Append(c);
                    _pos++;
                    break;
            }
        }
    }

    /// <summary>Why a <c>$</c> at <paramref name="at"/> is refused, naming what it would have expanded.</summary>
    private string Dollar(int at, bool quoted = false)
    {
        var next = at + 1 < text.Length ? text[at + 1] : '\0';
        next = quoted && next == '"' ? '\0' : next; // "$" closes the quotes
        var what = next switch
        {
            '(' when at + 2 < text.Length && text[at + 2] == '(' => "arithmetic expansion '$((…))'",
            '(' => "command substitution '$(…)'",
            '{' => "parameter expansion '${…}'",
            '\'' => "ANSI-C quoting '$'…''",
            '"' => "locale quoting '$\"…\"'",
            _ when char.IsAsciiLetter(next) || next == '_' => $"variable expansion '${Name(at + 1)}'",
            _ when char.IsAsciiDigit(next) || next is '@' or '*' or '#' or '?' or '-' or '$' or '!' => $"special parameter '${next}'",
            _ => "a '$'",
        };
        return $"{what} at offset {at.ToString(CultureInfo.InvariantCulture)}: its value is only known when it runs";
    }

    private string Name(int from)
    {
        var end = from;
        while (end < text.Length && end - from < 64 && (char.IsAsciiLetterOrDigit(text[end]) || text[end] == '_'))
        {
            end++;
        }

        return text[from..end];
    }

    private void ReadHeredocBodies()
    {
        foreach (var (delimiter, literal, stripTabs, offset) in _heredocs)
        {
            while (true)
            {
                if (_pos >= text.Length)
                {
                    throw Refuse($"the here-document at offset {offset} is never ended by a line '{delimiter}'");
                }

                var end = text.IndexOf('\n', _pos);
                var line = text[_pos..(end < 0 ? text.Length : end)];
                _pos = end < 0 ? text.Length : end + 1;
                if ((stripTabs ? line.TrimStart('\t') : line) == delimiter)
                {
                    break;
                }

                // A backslash too: it can join the delimiter line to the one before, so the body would end later than it seems.
                if (!literal && line.AsSpan().IndexOfAny('$', '`', '\\') >= 0)
                {
                    throw Refuse($"the here-document at offset {offset} has an unquoted delimiter and its body uses $, ` or \\, which the shell would expand; quote the delimiter (<<'{delimiter}')");
                }
            }
        }

        _heredocs.Clear();
    }

    private static ShellRefusalException Refuse(string message) => new(message);
}
