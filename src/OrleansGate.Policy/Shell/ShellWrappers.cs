using System.Text.RegularExpressions;

namespace OrleansGate.Policy.Shell;

/// <summary>
/// How the parser reads programs that run other programs, and the builtins it refuses. Only a wrapper named bare
/// (found on PATH) or in a system directory is seen through: <c>/tmp/x/env ls</c> runs <c>/tmp/x/env</c>, which a
/// rule must name. Each wrapper accepts only the options listed here; any other is refused, since an option can
/// change what runs or where (<c>env -C</c>, <c>sudo -s</c>, <c>time -o file</c>).
/// </summary>
internal static partial class ShellWrappers
{
    /// <summary>Shells whose <c>-c</c> text is parsed here; they read it with the grammar this parser follows.</summary>
    private static readonly HashSet<string> Shells = new(StringComparer.Ordinal) { "sh", "bash", "dash", "ash", "rbash" };

    /// <summary>
    /// Builtins refused outright: they run text as commands (<c>source</c>, <c>trap</c>, <c>alias</c>, <c>fc</c>,
    /// <c>bind</c>, <c>complete</c>), change how later words or commands are found (<c>export</c>, <c>set</c>,
    /// <c>hash -p</c>, <c>shopt</c>), or evaluate array subscripts, which run <c>$(…)</c> even from quoted text
    /// (<c>let</c>, <c>test -v</c>, <c>read</c>, <c>printf -v</c>, <c>declare</c>, <c>unset</c>, <c>getopts</c>, <c>wait -p</c>).
    /// </summary>
    private static readonly HashSet<string> RefusedBuiltins = new(StringComparer.Ordinal)
    {
        ".", "source", "trap", "alias", "unalias", "enable", "fc", "bind", "complete", "compgen", "compopt", "hash",
        "export", "declare", "typeset", "local", "readonly", "set", "shopt", "unset", "read", "mapfile", "readarray",
        "let", "test", "getopts", "wait",
    };

    /// <summary>Programs that run a command as another user: what they run counts as run under sudo.</summary>
    private static readonly HashSet<string> Privileged = new(StringComparer.Ordinal) { "sudo", "sudoedit", "doas", "pkexec", "su", "runuser", "run0" };

    /// <summary>System directories whose wrappers are the real ones (root-owned on any sane host).</summary>
    private static readonly string[] SystemDirectories = ["/bin/", "/usr/bin/", "/sbin/", "/usr/sbin/"];

    public static bool IsPrivileged(string name) => Privileged.Contains(name);

    /// <summary>Whether <paramref name="program"/> is a bare name or sits directly in a system directory.</summary>
    public static bool SeesThrough(string program)
    {
        var slash = program.LastIndexOf('/');
        if (slash < 0)
        {
            return true;
        }

        foreach (var directory in SystemDirectories)
        {
            if (slash == directory.Length - 1 && program.StartsWith(directory, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Reads <paramref name="argv"/> when <paramref name="name"/> is a wrapper: resolves what it runs and returns true,
    /// or refuses. False when it is an ordinary program (or a wrapper given nothing to run, which then stands as itself).
    /// </summary>
    public static bool Unwrap(ShellResolver resolver, string name, IReadOnlyList<string> argv, ShellContext inner)
    {
        switch (name)
        {
            case "sudo":
                return Run(resolver, argv, Sudo(argv), inner with { Sudo = true }, "sudo", required: true);
            case "env":
                return Run(resolver, argv, Env(argv), inner, "env", required: false);
            case "nice":
                return Run(resolver, argv, Nice(argv), inner, "nice", required: false);
            case "nohup":
                return Run(resolver, argv, argv.Count > 1 && argv[1] == "--" ? 2 : 1, inner, "nohup", required: false);
            case "timeout":
                return Run(resolver, argv, Timeout(argv), inner, "timeout", required: true);
            case "time":
                return Run(resolver, argv, Options(argv, "time", "-p"), inner, "time", required: false);
            case "command":
                // `command -v ls` only looks a name up: it stands as itself.
                return argv.Count > 1 && argv[1] is not ("-v" or "-V")
                    && Run(resolver, argv, Options(argv, "command", "-p"), inner, "command", required: false);
            case "builtin":
                return Run(resolver, argv, 1, inner, "builtin", required: true);
            case "exec":
                return Run(resolver, argv, Options(argv, "exec"), inner, "exec", required: false);
            case "eval":
                // eval joins its words with spaces and runs the result as a line; its words are static here, except
                // for glob characters: an unquoted `*` is expanded to file names before eval parses them as shell text
                // (a file named `x;cmd` would run cmd), and a quoted one cannot be told apart once resolved.
                if (argv.Skip(1).Any(word => word.AsSpan().IndexOfAny('*', '?', '[') >= 0))
                {
                    throw Refuse("eval with a glob character: the file names it may expand to would be read as shell text");
                }

                ParseRuns(resolver, string.Join(' ', argv.Skip(1)), inner, "eval");
                return true;
            case "xargs":
                throw Refuse("xargs runs a command with arguments read from its input, which cannot be judged");
            case "find":
                Find(resolver, argv, inner);
                return true;
            default:
                return Shells.Contains(name) && Shell(resolver, name, argv, inner);
        }
    }

    /// <summary>Refuses the builtins in <see cref="RefusedBuiltins"/>, and <c>printf -v</c>.</summary>
    public static void RefuseBuiltin(string name, IReadOnlyList<string> argv)
    {
        if (RefusedBuiltins.Contains(name))
        {
            throw Refuse(name is "." or "source"
                ? $"'{name}' runs a script file, which cannot be judged"
                : $"the builtin '{name}' is refused: it can run text as commands or change how later commands are read");
        }

        // `-vNAME` too: bash's printf takes the name glued to the option.
        if (name == "printf" && argv.Skip(1).Any(arg => arg.StartsWith("-v", StringComparison.Ordinal)))
        {
            throw Refuse("'printf -v' is refused: it assigns a variable, and its name can run commands");
        }
    }

    /// <summary>Resolves <c>argv[start..]</c>; with nothing there the wrapper stands as itself, unless <paramref name="required"/>.</summary>
    private static bool Run(ShellResolver resolver, IReadOnlyList<string> argv, int start, ShellContext inner, string name, bool required)
    {
        if (start < argv.Count)
        {
            resolver.Resolve([.. argv.Skip(start)], [], inner);
            return true;
        }

        return required ? throw Refuse($"'{name}' without a command to run") : false;
    }

    /// <summary><c>sudo [-n] [-H] [-u user] [-g group] [--] cmd</c>; any other option (-s, -i, -e, -E, -D, -R, -b …) is refused.</summary>
    private static int Sudo(IReadOnlyList<string> argv)
    {
        var i = 1;
        while (i < argv.Count && argv[i].StartsWith('-'))
        {
            var option = argv[i];
            if (option == "--")
            {
                return i + 1;
            }

            i += option switch
            {
                "-n" or "-H" or "--non-interactive" or "--set-home" => 1,
                "-u" or "-g" or "--user" or "--group" => 2,
                _ when option.StartsWith("--user=", StringComparison.Ordinal) || option.StartsWith("--group=", StringComparison.Ordinal) => 1,
                _ when option.Length > 2 && option[1] is 'u' or 'g' => 1,
                _ => throw Refuse($"the sudo option '{ShellResolver.Printable(option)}' is refused (only -n, -H, -u and -g are read): others run a shell or an editor, or change where or how the command runs"),
            };
        }

        return i;
    }

    /// <summary><c>env [-i] [--] cmd</c>; assignments and other options (-C dir, -S string, -u) are refused.</summary>
    private static int Env(IReadOnlyList<string> argv)
    {
        var i = 1;
        for (; i < argv.Count; i++)
        {
            var arg = argv[i];
            if (arg == "--")
            {
                return i + 1;
            }

            if (arg is "-i" or "-" or "--ignore-environment")
            {
                continue;
            }

            if (arg.StartsWith('-'))
            {
                throw Refuse($"the env option '{ShellResolver.Printable(arg)}' is refused (only -i is read)");
            }

            if (arg.Contains('=', StringComparison.Ordinal))
            {
                throw Refuse("an assignment given to env is refused: it can change what the command runs (PATH, LD_PRELOAD)");
            }

            break;
        }

        return i;
    }

    /// <summary><c>nice [-n N | -N | --adjustment=N] [--] cmd</c>.</summary>
    private static int Nice(IReadOnlyList<string> argv)
    {
        var i = 1;
        if (i < argv.Count && argv[i] == "-n")
        {
            i += 2;
        }
        else if (i < argv.Count && (NiceAdjustment().IsMatch(argv[i]) || argv[i].StartsWith("--adjustment=", StringComparison.Ordinal)))
        {
            i++;
        }
        else if (i < argv.Count && argv[i].StartsWith('-') && argv[i] != "--")
        {
            throw Refuse($"the nice option '{ShellResolver.Printable(argv[i])}' is refused");
        }

        return i < argv.Count && argv[i] == "--" ? i + 1 : i;
    }

    /// <summary><c>timeout [-s SIG] [-k DURATION] [--preserve-status] [--foreground] [-v] DURATION cmd</c>.</summary>
    private static int Timeout(IReadOnlyList<string> argv)
    {
        var i = 1;
        while (i < argv.Count && argv[i].StartsWith('-') && argv[i] != "--")
        {
            var option = argv[i];
            i += option switch
            {
                "-s" or "-k" or "--signal" or "--kill-after" => 2,
                "--preserve-status" or "--foreground" or "-v" or "--verbose" => 1,
                _ when option.StartsWith("--signal=", StringComparison.Ordinal) || option.StartsWith("--kill-after=", StringComparison.Ordinal) => 1,
                _ when option.Length > 2 && option[1] is 's' or 'k' => 1,
                _ => throw Refuse($"the timeout option '{ShellResolver.Printable(option)}' is refused"),
            };
        }

        if (i < argv.Count && argv[i] == "--")
        {
            i++;
        }

        return i < argv.Count && Duration().IsMatch(argv[i])
            ? i + 1
            : throw Refuse("timeout needs a duration (such as 10 or 2.5m) before its command");
    }

    /// <summary>Only <paramref name="allowed"/> options before the command (then <c>--</c>).</summary>
    private static int Options(IReadOnlyList<string> argv, string name, params string[] allowed)
    {
        var i = 1;
        for (; i < argv.Count && argv[i].StartsWith('-'); i++)
        {
            if (argv[i] == "--")
            {
                return i + 1;
            }

            if (!allowed.Contains(argv[i]))
            {
                throw Refuse($"the {name} option '{ShellResolver.Printable(argv[i])}' is refused");
            }
        }

        return i;
    }

    /// <summary>
    /// <c>sh -c 'TEXT'</c> (the <c>-c</c> may come with -e, -u, -x, -v, -f): TEXT is parsed in turn. A shell reading a
    /// script or its input, or given words after TEXT (its $0, $1 …), is refused.
    /// </summary>
    private static bool Shell(ShellResolver resolver, string name, IReadOnlyList<string> argv, ShellContext inner)
    {
        if (argv.Count < 3 || !ShellCommandFlag().IsMatch(argv[1]))
        {
            throw Refuse($"'{name}' without -c 'text' reads a script or its input, which cannot be judged");
        }

        if (argv.Count > 3)
        {
            throw Refuse($"words after the text of '{name} -c' (its $0, $1 …) are refused");
        }

        ParseRuns(resolver, argv[2], inner with { Posix = name is not ("bash" or "rbash") }, name + " -c");
        return true;
    }

    /// <summary>
    /// Parses the text of <c>eval</c> or <c>sh -c</c>. Text that runs nothing (<c>eval &gt; f</c>, <c>sh -c '' &gt; f</c>)
    /// still has the wrapper's redirections opened, and no command would carry them to be judged: refused.
    /// </summary>
    private static void ParseRuns(ShellResolver resolver, string text, ShellContext inner, string name)
    {
        var before = resolver.Count;
        resolver.ParseText(text, inner);
        if (resolver.Count == before && inner.Redirects.Count > 0)
        {
            throw Refuse($"'{name}' runs no command, but its redirections still open their files");
        }
    }

    /// <summary>
    /// <c>find</c> stands with its own words, each <c>-exec</c>/<c>-execdir</c>/<c>-ok</c>/<c>-okdir</c> kept but the
    /// command after it (up to <c>;</c>, or <c>+</c> right after <c>{}</c>) taken out and resolved as a command of its own;
    /// <c>{}</c> stays literal.
    /// </summary>
    private static void Find(ShellResolver resolver, IReadOnlyList<string> argv, ShellContext inner)
    {
        var own = new List<string>();
        var runs = new List<string[]>();
        for (var i = 1; i < argv.Count; i++)
        {
            own.Add(argv[i]);
            if (argv[i] is not ("-exec" or "-execdir" or "-ok" or "-okdir"))
            {
                continue;
            }

            // `+` ends the command only right after `{}` (find's rule): in `-exec cat + /etc/shadow ;` cat gets both words.
            var end = i + 1;
            while (end < argv.Count && argv[end] != ";" && !(argv[end] == "+" && argv[end - 1] == "{}"))
            {
                end++;
            }

            if (end >= argv.Count || end == i + 1)
            {
                throw Refuse($"find {argv[i]} needs a command ended by ';' or '+'");
            }

            runs.Add([.. argv.Skip(i + 1).Take(end - i - 1)]);
            i = end;
        }

        resolver.Emit(argv[0], own, inner);
        foreach (var run in runs)
        {
            resolver.Resolve(run, [], inner);
        }
    }

    private static ShellRefusalException Refuse(string message) => new(message);

    [GeneratedRegex(@"^-[0-9]+$", RegexOptions.CultureInvariant)]
    private static partial Regex NiceAdjustment();

    [GeneratedRegex(@"^[0-9]+(\.[0-9]+)?[smhd]?$", RegexOptions.CultureInvariant)]
    private static partial Regex Duration();

    [GeneratedRegex(@"^-[euxvf]*c[euxvf]*$", RegexOptions.CultureInvariant)]
    private static partial Regex ShellCommandFlag();
}
