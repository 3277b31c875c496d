namespace OrleansGate.Policy.Shell;

/// <summary>What the commands of one text inherit from the wrappers around it (<c>sudo sh -c '…' &gt; f</c>).</summary>
/// <param name="Redirects">Redirections of the wrappers, groups and subshells around the text.</param>
/// <param name="Depth">How many wrappers deep the text is; past <see cref="ShellResolver.MaxDepth"/> the line is refused.</param>
/// <param name="Posix">The text is read by <c>sh</c> (dash on Debian), not bash: bash-only operators are refused in it.</param>
internal readonly record struct ShellContext(bool Sudo, IReadOnlyList<ShellRedirect> Redirects, int Depth, bool Posix = false)
{
    public static ShellContext Top { get; } = new(false, [], 0);
}
