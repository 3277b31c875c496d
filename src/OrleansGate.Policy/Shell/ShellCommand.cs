namespace OrleansGate.Policy.Shell;

/// <summary>
/// One simple command a command line would run, after quote removal and after the wrappers the parser sees through
/// (<c>sudo</c>, <c>env</c>, <c>nice</c>, <c>timeout</c>, <c>nohup</c>, <c>sh -c</c>, <c>eval</c>, <c>find -exec</c>, ...).
/// </summary>
/// <param name="Program">argv[0] exactly as it would be run: a bare name (found on the host's PATH) or a path.</param>
/// <param name="Args">The arguments, static text; unquoted glob characters are kept as written (the host expands them).</param>
/// <param name="Redirects">Its own redirections, then those of every group, subshell or wrapper around it.</param>
/// <param name="Sudo">Run under sudo (or sudoedit, doas, pkexec, su, runuser, run0): with other privileges than the target's user.</param>
public sealed record ShellCommand(string Program, IReadOnlyList<string> Args, IReadOnlyList<ShellRedirect> Redirects, bool Sudo);
