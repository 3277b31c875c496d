using OrleansGate.Policy.Model;
using OrleansGate.Policy.Shell;

namespace OrleansGate.Policy.Evaluation;

/// <summary>
/// Whether a rule's <c>ssh:</c> match applies to one command line's simple commands. An allow rule must cover every
/// one of them (program, each argument, each file redirection, sudo); a deny or approve rule matches when any one of
/// them meets all of its keys. Arguments and redirection targets are compared as written, with <c>//</c> and <c>/./</c>
/// folded; one holding a <c>..</c> segment is never covered by an allow and is taken to touch every deny or approve
/// path, as the gateway cannot tell where it leads.
/// </summary>
internal static class SshRules
{
    /// <summary>Programs that run what their arguments or input name, besides <see cref="ExecCommands.Wrappers"/>.</summary>
    private static readonly HashSet<string> AlsoHiding = new(StringComparer.Ordinal)
    {
        "pkexec", "run0", "ssh", "sg", "at", "batch", "parallel", "su", "doas", "runuser",
    };

    public static bool CoversAll(SshMatch match, IReadOnlyList<ShellCommand> commands)
    {
        for (var i = 0; i < commands.Count; i++)
        {
            if (!Covers(match, commands[i]))
            {
                return false;
            }
        }

        return commands.Count > 0;
    }

    public static bool TouchesAny(SshMatch match, IReadOnlyList<ShellCommand> commands)
    {
        for (var i = 0; i < commands.Count; i++)
        {
            if (Touches(match, commands[i]))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>An allow: the command's every part is named.</summary>
    public static bool Covers(SshMatch match, ShellCommand command)
    {
        var program = command.Program;
        if ((command.Sudo && match.Sudo != true) || program.Length == 0 || HasTraversal(program)
            || !PathGlob.AnyMatch(match.Commands, program)
            || (HidesCommand(program) && !NamesLiterally(match.Commands, program)))
        {
            return false;
        }

        foreach (var arg in command.Args)
        {
            if (HasTraversal(arg) || (match.Args.Count > 0 && !PathGlob.AnyMatch(match.Args, Fold(arg))))
            {
                return false;
            }
        }

        foreach (var redirect in command.Redirects)
        {
            if (redirect.IsFile && (HasTraversal(redirect.Target) || !PathGlob.AnyMatch(match.Redirects, Fold(redirect.Target))))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A deny or approve: the command meets every key the match gives.</summary>
    public static bool Touches(SshMatch match, ShellCommand command)
    {
        if (match.Sudo is { } sudo && command.Sudo != sudo)
        {
            return false;
        }

        // A program that may run anything (an interpreter, a wrapper not seen through) may run what the rule names.
        var program = command.Program;
        var hides = HidesCommand(program) && !IsSeenThroughFind(program);
        if (!hides && match.Commands.Count > 0
            && !PathGlob.AnyMatch(match.Commands, program) && !PathGlob.AnyMatch(match.Commands, Basename(program)))
        {
            return false;
        }

        if (!hides && match.Args.Count > 0 && !command.Args.Any(arg => Touches(match.Args, arg)))
        {
            return false;
        }

        return match.Redirects.Count == 0 || command.Redirects.Any(r => r.IsFile && Touches(match.Redirects, r.Target));
    }

    /// <summary>Whether a word may name what a glob names: as written, folded, or (holding glob characters) by what it may expand to.</summary>
    private static bool Touches(IReadOnlyList<string> globs, string word)
    {
        if (HasTraversal(word))
        {
            return true;
        }

        var folded = Fold(word);
        if (PathGlob.AnyMatch(globs, folded) || PathGlob.AnyMatch(globs, word))
        {
            return true;
        }

        var glob = folded.AsSpan().IndexOfAny('*', '?', '[');
        if (glob < 0)
        {
            return false;
        }

        var prefix = folded[..glob];
        foreach (var pattern in globs)
        {
            if (PathGlob.CouldMatchPrefix(pattern, prefix))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A <c>..</c> followed by '/' or the end, anywhere (<c>/a/..</c>, <c>-f../x</c>): conservative on purpose.</summary>
    internal static bool HasTraversal(string text)
    {
        for (var i = text.IndexOf("..", StringComparison.Ordinal); i >= 0; i = text.IndexOf("..", i + 1, StringComparison.Ordinal))
        {
            if (i + 2 == text.Length || text[i + 2] == '/')
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Folds <c>//</c>, <c>/./</c>, a leading <c>./</c> and a trailing <c>/</c> or <c>/.</c>: the same file, written one way.</summary>
    internal static string Fold(string text)
    {
        if (!text.Contains('/', StringComparison.Ordinal))
        {
            return text;
        }

        var segments = text.Split('/').Where(s => s.Length > 0 && s != ".").ToArray();
        var folded = string.Join('/', segments);
        return text.StartsWith('/') ? "/" + folded : folded.Length == 0 ? "." : folded;
    }

    private static string Basename(string program) => program[(program.LastIndexOf('/') + 1)..];

    private static bool HidesCommand(string program)
    {
        var name = Basename(program);
        return ExecCommands.IsWrapper(name) || AlsoHiding.Contains(name);
    }

    /// <summary><c>find</c>'s <c>-exec</c> commands are judged on their own, so find itself hides none.</summary>
    private static bool IsSeenThroughFind(string program) => Basename(program) == "find" && ShellWrappers.SeesThrough(program);

    /// <summary>An entry without glob characters equal to argv[0].</summary>
    private static bool NamesLiterally(IReadOnlyList<string> commands, string program)
    {
        foreach (var command in commands)
        {
            if (command.AsSpan().IndexOfAny('*', '?', '[') < 0 && command == program)
            {
                return true;
            }
        }

        return false;
    }
}
