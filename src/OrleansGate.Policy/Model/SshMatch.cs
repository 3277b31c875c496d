namespace OrleansGate.Policy.Model;

/// <summary>
/// A rule's <c>ssh:</c> match, judged per simple command of a command line (see <see cref="Shell.ShellParser"/>).
/// Globs are <see cref="Shell.PathGlob"/>s: <c>*</c> does not cross '/', <c>**</c> does. An allow rule must cover every
/// simple command of the line; a deny or approve rule matches when any one simple command meets all its keys. How
/// each key is read is in docs/policy.md ("SSH targets and rules").
/// </summary>
public sealed record SshMatch
{
    /// <summary>
    /// Program globs. An allow compares argv[0] as written (<c>ls</c> covers <c>ls</c>, not <c>/tmp/x/ls</c>; name paths
    /// by path), and covers a shell, interpreter or other wrapper only when an entry names it literally. A deny or
    /// approve compares argv[0] and its basename, and matches every wrapper it cannot see through.
    /// </summary>
    public IReadOnlyList<string> Commands { get; init; } = [];

    /// <summary>Argument globs; for an allow every argument of the command must match one (empty: any arguments).</summary>
    public IReadOnlyList<string> Args { get; init; } = [];

    /// <summary>
    /// Globs on the files redirections open (to read or to write). For an allow every file redirection must match one;
    /// with none given an allow covers no file redirection. Descriptor duplications (<c>2&gt;&amp;1</c>) and here-documents
    /// open no file and are always covered.
    /// </summary>
    public IReadOnlyList<string> Redirects { get; init; } = [];

    /// <summary>
    /// Allow: a command under sudo is covered only with <c>sudo: true</c> (which covers commands without it too).
    /// Deny or approve: <c>true</c> matches commands run under sudo only, <c>false</c> those without; null both.
    /// </summary>
    public bool? Sudo { get; init; }
}
