namespace OrleansGate.Policy.Shell;

/// <summary>
/// Reads a command line given to sshd into every simple command it would run, so policy can judge each one. A line
/// with any part whose meaning is only known when it runs (an expansion, a substitution, a compound command, a shell
/// reading a script) is refused, never guessed.
/// </summary>
/// <remarks>
/// <code>
///   "sudo sh -c 'ls /var/log | grep x' 2&gt;/dev/null"
///     ShellLexer    words with quotes removed, operators; refuses $ ` ~ {a,b} and control characters
///     ShellGrammar  lists, pipelines, ( ) and { ;}, redirections, here-documents; refuses if/while/for/case
///     ShellResolver sees through sudo, env, nice, timeout, nohup, time, command, builtin, exec, eval, sh -c, find -exec
///   → ls [/var/log] (2&gt;/dev/null, sudo), grep [x] (2&gt;/dev/null, sudo)
/// </code>
/// The grammar is bash's where bash and POSIX sh differ, and where they could read a line differently the line is
/// refused. The target account's shell startup files (aliases, functions, PATH) are trusted: the gateway cannot see them.
/// </remarks>
public static class ShellParser
{
    /// <summary>Longer lines are refused before they are read.</summary>
    public const int MaxLength = 64 * 1024;

    public static ShellParseResult Parse(string commandLine)
    {
        ArgumentNullException.ThrowIfNull(commandLine);
        var resolver = new ShellResolver();
        try
        {
            if (commandLine.Length > MaxLength)
            {
                throw new ShellRefusalException($"the command line is longer than {MaxLength} characters");
            }

            resolver.ParseText(commandLine, ShellContext.Top);
        }
        catch (ShellRefusalException e)
        {
            return new ShellParseResult([.. resolver.Commands], e.Message);
        }

        // An empty command to sshd opens a login shell: nothing to judge, so nothing to allow.
        return resolver.Count == 0
            ? new ShellParseResult([], "the command line runs no command (an empty command opens a login shell)")
            : new ShellParseResult([.. resolver.Commands], null);
    }
}
