using System.Text.RegularExpressions;

namespace OrleansGate.Policy.Shell;

/// <summary>
/// The POSIX shell grammar over one text: lists (<c>; &amp; &amp;&amp; || newline</c>), pipelines, subshells
/// <c>( )</c>, groups <c>{ ;}</c>, simple commands and their redirections. Every simple command goes to the
/// <see cref="ShellResolver"/>, which sees through wrappers. Compound commands (<c>if</c>, <c>while</c>, <c>for</c>,
/// <c>case</c>, functions, <c>[[ ]]</c>) are refused: the commands they run depend on what earlier ones return.
/// </summary>
internal sealed partial class ShellGrammar(ShellLexer lexer, ShellResolver resolver, ShellContext context)
{
    /// <summary>Subshells and groups nested deeper than this are refused, so a hostile line cannot exhaust the stack.</summary>
    private const int MaxNesting = 32;

    private static readonly HashSet<string> ReservedWords = new(StringComparer.Ordinal)
    {
        "if", "then", "else", "elif", "fi", "do", "done", "case", "esac", "while", "until", "for", "select",
        "function", "in", "coproc", "[[", "]]",
    };

    private int _nesting;

    public void ParseAll() => ParseList(closer: null);

    private void ParseList(string? closer)
    {
        var any = false;
        while (true)
        {
            var token = lexer.Peek();
            if (token.Kind == ShellTokenKind.Newline)
            {
                lexer.Next();
                continue;
            }

            if (token.Kind == ShellTokenKind.End)
            {
                if (closer is not null)
                {
                    throw Refuse($"a '{(closer == ")" ? "(" : "{")}' is never closed by '{closer}'");
                }

                return;
            }

            if ((closer == ")" && token.Is(")")) || (closer == "}" && token.IsPlainWord("}")))
            {
                lexer.Next();
                if (!any)
                {
                    throw Refuse($"an empty list before '{closer}' at offset {token.Offset}");
                }

                return;
            }

            ParseAndOr();
            any = true;
            token = lexer.Peek();
            if (token.Is(";") || token.Is("&"))
            {
                lexer.Next();
            }
            else if (token.Kind is not (ShellTokenKind.Newline or ShellTokenKind.End) && !token.Is(")") && !token.IsPlainWord("}"))
            {
                throw Refuse($"unexpected '{token.Text}' at offset {token.Offset}");
            }
        }
    }

    private void ParseAndOr()
    {
        ParsePipeline();
        while (lexer.Peek() is var token && (token.Is("&&") || token.Is("||")))
        {
            lexer.Next();
            SkipNewlines();
            ParsePipeline();
        }
    }

    private void ParsePipeline()
    {
        if (lexer.Peek().IsPlainWord("!"))
        {
            lexer.Next(); // negates the status only
        }

        ParseCommand();
        while (lexer.Peek() is var token && (token.Is("|") || token.Is("|&")))
        {
            RefuseBashOnly(token);
            lexer.Next();
            SkipNewlines();
            ParseCommand();
        }
    }

    private void ParseCommand()
    {
        var token = lexer.Peek();
        if (token.Is("(") || token.IsPlainWord("{"))
        {
            lexer.Next();
            if (++_nesting > MaxNesting)
            {
                throw Refuse($"subshells and groups nest deeper than {MaxNesting}");
            }

            var first = resolver.Count;
            ParseList(token.Is("(") ? ")" : "}");
            _nesting--;
            var redirects = new List<ShellRedirect>();
            while (lexer.Peek().IsRedirect)
            {
                redirects.Add(ParseRedirect());
            }

            // `( eval ) > f` still opens f; with no command to carry them the redirections would go unjudged.
            if (redirects.Count > 0 && resolver.Count == first)
            {
                throw Refuse($"the group at offset {token.Offset} runs no command, but its redirections still open their files");
            }

            // The group's redirections apply to every command in it: `( cat a ) > f` writes f.
            resolver.AddRedirects(first, redirects);
            return;
        }

        if (token.Kind == ShellTokenKind.Word && !token.Word!.Quoted && ReservedWords.Contains(token.Word.Raw))
        {
            throw Refuse($"'{token.Word.Raw}' at offset {token.Offset} starts a compound command (if, while, for, case, function, [[ ]]); these are refused");
        }

        if (token.Kind == ShellTokenKind.Word || token.IsRedirect)
        {
            ParseSimple();
            return;
        }

        throw Refuse($"expected a command at offset {token.Offset}, found '{token.Text}'");
    }

    private void ParseSimple()
    {
        var words = new List<ShellWord>();
        var redirects = new List<ShellRedirect>();
        while (true)
        {
            var token = lexer.Peek();
            if (token.Kind == ShellTokenKind.Word)
            {
                lexer.Next();
                if (words.Count == 0 && Assignment().IsMatch(token.Word!.Raw))
                {
                    throw Refuse($"the assignment before the command at offset {token.Offset} is refused: it can change what the command runs (PATH, LD_PRELOAD, IFS)");
                }

                words.Add(token.Word!);
            }
            else if (token.IsRedirect)
            {
                redirects.Add(ParseRedirect());
            }
            else if (token.Is("("))
            {
                throw Refuse($"'(' at offset {token.Offset} after a word: function definitions and extended globs are refused");
            }
            else
            {
                break;
            }
        }

        if (words.Count == 0)
        {
            throw Refuse("a redirection without a command is refused");
        }

        resolver.Resolve([.. words.Select(w => w.Text)], redirects, context);
    }

    private ShellRedirect ParseRedirect()
    {
        var op = lexer.Next();
        RefuseBashOnly(op);
        var target = lexer.Next();
        if (target.Kind != ShellTokenKind.Word)
        {
            throw Refuse($"the redirection '{op.Text}' at offset {op.Offset} has no target");
        }

        var text = target.Word!.Text;
        switch (op.Text)
        {
            case "<<" or "<<-":
                lexer.ExpectHeredoc(text, literal: target.Word.Quoted, stripTabs: op.Text == "<<-", op.Offset);
                return new ShellRedirect(op.Text, text);
            case "<<<":
                return new ShellRedirect(op.Text, text);
            case ">&" or "<&":
                if (FileDescriptor().IsMatch(text))
                {
                    return new ShellRedirect(op.Text, text);
                }

                // bash reads `>&file` as `&>file`; with a number before it, or for `<&`, it is an error.
                return op.Text == ">&" && op.Fd is null
                    ? FileRedirect("&>", text, op.Offset)
                    : throw Refuse($"the redirection '{op.Fd}{op.Text}' at offset {op.Offset} must name a file descriptor, not '{text}'");
            default:
                return FileRedirect(op.Text, text, op.Offset);
        }
    }

    private static ShellRedirect FileRedirect(string op, string target, int offset) =>
        target.Length > 0 ? new ShellRedirect(op, target) : throw Refuse($"the redirection '{op}' at offset {offset} names an empty file");

    private void SkipNewlines()
    {
        while (lexer.Peek().Kind == ShellTokenKind.Newline)
        {
            lexer.Next();
        }
    }

    /// <summary>
    /// In the text of <c>sh -c</c> (dash on Debian) bash's <c>&amp;&gt;</c> is <c>&amp;</c> then <c>&gt;</c>, so
    /// <c>cat f &amp;&gt;/dev/null dpkg -l</c> runs dpkg; <c>10&gt;f</c> passes the word <c>10</c>; <c>|&amp;</c> and
    /// <c>&lt;&lt;&lt;</c> do not exist. Refused there rather than read two ways.
    /// </summary>
    private void RefuseBashOnly(ShellToken op)
    {
        if (context.Posix && (op.Text is "&>" or "&>>" or "|&" or "<<<" || op.Fd is { Length: > 1 }))
        {
            throw Refuse($"'{op.Fd}{op.Text}' at offset {op.Offset} is bash's; sh (dash) reads it otherwise, so it is refused in the text of sh -c");
        }
    }

    private static ShellRefusalException Refuse(string message) => new(message);

    /// <summary><c>NAME=</c>, <c>NAME+=</c>, <c>NAME[...]=</c>, unquoted: an assignment, not a command.</summary>
    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=", RegexOptions.CultureInvariant)]
    private static partial Regex Assignment();

    [GeneratedRegex(@"^([0-9]+-?|-)$", RegexOptions.CultureInvariant)]
    private static partial Regex FileDescriptor();
}
