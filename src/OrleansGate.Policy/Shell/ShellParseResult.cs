namespace OrleansGate.Policy.Shell;

/// <summary>
/// What <see cref="ShellParser.Parse"/> read. With a <paramref name="Refusal"/> the line must not run: some part of it
/// cannot be known before it runs, and <paramref name="Commands"/> then holds only what was read before that part.
/// </summary>
public sealed record ShellParseResult(IReadOnlyList<ShellCommand> Commands, string? Refusal)
{
    public bool IsResolved => Refusal is null;
}
