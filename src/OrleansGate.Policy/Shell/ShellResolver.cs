namespace OrleansGate.Policy.Shell;

/// <summary>
/// Turns the words of one simple command into the commands it runs: a program that runs another one named in its
/// arguments (<c>sudo</c>, <c>env</c>, <c>nice</c>, <c>timeout</c>, <c>nohup</c>, <c>time</c>, <c>command</c>,
/// <c>builtin</c>, <c>exec</c>) gives way to that one; <c>sh -c</c> and <c>eval</c> have their text parsed in turn;
/// <c>find</c> stays and its <c>-exec</c> commands join it. How each is read is in <see cref="ShellWrappers"/>.
/// </summary>
internal sealed class ShellResolver
{
    /// <summary>Wrappers nested deeper than this (<c>sh -c "sh -c '…'"</c>) are refused.</summary>
    public const int MaxDepth = 8;

    /// <summary>More simple commands than this in one line are refused.</summary>
    public const int MaxCommands = 256;

    private readonly List<ShellCommand> _commands = [];

    public int Count => _commands.Count;

    public IReadOnlyList<ShellCommand> Commands => _commands;

    /// <summary>Parses <paramref name="text"/> (a whole line, an <c>sh -c</c> string or <c>eval</c>'s words) into this resolver's commands.</summary>
    public void ParseText(string text, ShellContext context)
    {
        CheckCharacters(text);
        new ShellGrammar(new ShellLexer(text), this, context).ParseAll();
    }

    /// <summary>Adds a group's or subshell's redirections to the commands read since <paramref name="first"/>.</summary>
    public void AddRedirects(int first, IReadOnlyList<ShellRedirect> redirects)
    {
        if (redirects.Count == 0)
        {
            return;
        }

        for (var i = first; i < _commands.Count; i++)
        {
            _commands[i] = _commands[i] with { Redirects = [.. _commands[i].Redirects, .. redirects] };
        }
    }

    public void Resolve(IReadOnlyList<string> argv, IReadOnlyList<ShellRedirect> redirects, ShellContext context)
    {
        if (context.Depth > MaxDepth)
        {
            throw Refuse($"wrappers nest deeper than {MaxDepth}");
        }

        var program = argv[0];
        if (!IsPlainProgram(program))
        {
            throw Refuse($"the program name '{Printable(program)}' is not a plain name or path (letters, digits, . _ + - : /)");
        }

        var name = program[(program.LastIndexOf('/') + 1)..];
        var inner = context with { Redirects = [.. context.Redirects, .. redirects], Depth = context.Depth + 1 };
        if (ShellWrappers.SeesThrough(program) && ShellWrappers.Unwrap(this, name, argv, inner))
        {
            return;
        }

        if (!program.Contains('/', StringComparison.Ordinal))
        {
            ShellWrappers.RefuseBuiltin(name, argv);
        }

        Emit(program, argv.Skip(1).ToArray(), inner with { Sudo = context.Sudo || ShellWrappers.IsPrivileged(name) });
    }

    /// <summary>Adds one command as it stands, with the redirections and sudo of <paramref name="context"/>.</summary>
    public void Emit(string program, IReadOnlyList<string> args, ShellContext context)
    {
        if (_commands.Count >= MaxCommands)
        {
            throw Refuse($"the line runs more than {MaxCommands} commands");
        }

        _commands.Add(new ShellCommand(program, args, context.Redirects, context.Sudo));
    }

    /// <summary>Letters, digits and <c>. _ + - : /</c>: a name that cannot be mistaken for another or hide a character.</summary>
    private static bool IsPlainProgram(string program)
    {
        if (program.Length == 0)
        {
            return false;
        }

        foreach (var c in program)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '_' or '+' or '-' or ':' or '/'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A name for a message: printable ASCII only, and short.</summary>
    internal static string Printable(string text)
    {
        var shown = new string([.. text.Take(64).Select(c => c is >= ' ' and <= '~' ? c : '?')]);
        return text.Length > 64 ? shown + "…" : shown;
    }

    /// <summary>NUL, carriage returns and other control characters are refused: shells and terminals read them differently.</summary>
    private static void CheckCharacters(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0')
            {
                throw Refuse($"a NUL byte at offset {i}");
            }

            if (c == '\r')
            {
                throw Refuse($"a carriage return at offset {i}");
            }

            if ((c < ' ' && c is not ('\n' or '\t')) || c is >= '\u007f' and <= '\u009f')
            {
                throw Refuse($"the control character U+{(int)c:X4} at offset {i}");
            }
        }
    }

    private static ShellRefusalException Refuse(string message) => new(message);
}
