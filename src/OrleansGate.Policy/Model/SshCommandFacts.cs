using OrleansGate.Policy.Shell;

namespace OrleansGate.Policy.Model;

/// <summary>
/// What policy reads of one command line sent to an SSH target: the line as sent (for the audit) and every simple
/// command it would run. Build it with <see cref="Parse"/>, so a line the parser refuses carries its <see cref="Refusal"/>
/// and is denied whatever the rules.
/// </summary>
public sealed record SshCommandFacts(string CommandLine, IReadOnlyList<ShellCommand> Commands)
{
    /// <summary>Why the line cannot be judged (<see cref="ShellParseResult.Refusal"/>); null when every part was read.</summary>
    public string? Refusal { get; init; }

    public static SshCommandFacts Parse(string commandLine)
    {
        var parsed = ShellParser.Parse(commandLine);
        return new SshCommandFacts(commandLine, parsed.Commands) { Refusal = parsed.Refusal };
    }
}
