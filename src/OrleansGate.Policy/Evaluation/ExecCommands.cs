namespace OrleansGate.Policy.Evaluation;

/// <summary>
/// How a <c>kubernetes:</c> match's <c>commands</c> reads the argv of an exec. Only the program is judged (argv[0], and
/// its basename when it has a '/'); its arguments are not, since what they mean is the program's business. A program
/// that runs what its arguments name (a shell, an interpreter, <c>env</c>, <c>sudo</c>) hides the real command, so:
/// <list type="bullet">
/// <item>an allow covers it only when one of its <c>commands</c> names it literally (<c>sh</c>, not <c>*</c> or <c>s?</c>);</item>
/// <item>a deny or approve with <c>commands</c> matches it whatever the globs, as it may run anything they name.</item>
/// </list>
/// An exec without a command (or with an empty program) is read the same way: no allow with <c>commands</c> covers it,
/// every deny or approve with <c>commands</c> matches it.
/// </summary>
public static class ExecCommands
{
    /// <summary>Programs that run another program named in their arguments or input (compared ignoring case).</summary>
    public static IReadOnlyList<string> Wrappers { get; } =
    [
        // shells
        "sh", "bash", "rbash", "dash", "zsh", "ksh", "mksh", "pdksh", "ash", "csh", "tcsh", "fish", "busybox", "toybox",
        // run a program given as an argument
        "env", "xargs", "sudo", "su", "doas", "runuser", "setpriv", "nice", "ionice", "nohup", "timeout", "time",
        "stdbuf", "setsid", "chroot", "nsenter", "unshare", "chrt", "taskset", "flock", "watch", "strace", "ltrace",
        "script", "find", "expect",
        // interpreters (and those named with a version, below)
        "awk", "gawk", "mawk", "nawk", "perl", "ruby", "irb", "node", "nodejs", "deno", "bun", "php", "lua", "luajit",
        "tclsh", "wish", "pwsh", "powershell", "java", "jshell", "rscript",
    ];

    /// <summary>Interpreters commonly installed under a versioned name (<c>python3.12</c>, <c>perl5.36</c>, <c>php8</c>).</summary>
    public static IReadOnlyList<string> WrapperPrefixes { get; } = ["python", "pypy", "perl", "ruby", "php", "lua", "node", "tclsh"];

    /// <summary>Whether <paramref name="match"/>'s <paramref name="commands"/> take in an exec of <paramref name="argv"/>.</summary>
    /// <param name="allow">An allow rule must cover the program; a deny or approve rule matches when it may run one of them.</param>
    public static bool Matches(IReadOnlyList<string> commands, IReadOnlyList<string> argv, bool allow)
    {
        if (argv.Count == 0 || Program(argv[0]) is not { } program)
        {
            return !allow; // no program to judge
        }

        var named = Glob.AnyMatch(commands, argv[0]) || (program.Length != argv[0].Length && Glob.AnyMatch(commands, program));
        if (!IsWrapper(program))
        {
            return named;
        }

        return allow ? named && NamesLiterally(commands, argv[0], program) : true;
    }

    /// <summary>True for a shell, an interpreter or another program that runs what its arguments name.</summary>
    public static bool IsWrapper(string program)
    {
        foreach (var wrapper in Wrappers)
        {
            if (program.Equals(wrapper, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        foreach (var prefix in WrapperPrefixes)
        {
            if (program.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The basename of argv[0] (argv[0] itself without a '/'); null when there is none to judge.</summary>
    private static string? Program(string argv0)
    {
        var program = argv0[(argv0.LastIndexOf('/') + 1)..];
        return program.Length == 0 ? null : program;
    }

    /// <summary>A <c>commands</c> entry without glob characters equal to the program or argv[0].</summary>
    private static bool NamesLiterally(IReadOnlyList<string> commands, string argv0, string program)
    {
        foreach (var command in commands)
        {
            if (command.AsSpan().IndexOfAny('*', '?') < 0
                && (command.Equals(argv0, StringComparison.OrdinalIgnoreCase) || command.Equals(program, StringComparison.OrdinalIgnoreCase)))
            {
                return true;
            }
        }

        return false;
    }
}
