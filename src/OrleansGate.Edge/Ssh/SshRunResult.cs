namespace OrleansGate.Edge.Ssh;

/// <summary>
/// How a command ended on its host: its exit status (null when it was killed or the host sent none), the signal that
/// ended it, the output bytes it wrote (all of them, relayed or not), and why the gateway stopped it, if it did.
/// </summary>
public sealed record SshRunResult(int? ExitStatus, string? ExitSignal, long OutputBytes, bool Truncated, string? Stopped)
{
    /// <summary>The audit's outcome: <c>exit 0</c>, <c>killed: time limit of 30 s reached</c>, <c>signal TERM</c>.</summary>
    public string Outcome =>
        Stopped is not null ? $"killed: {Stopped}"
        : ExitStatus is { } status ? $"exit {status}"
        : ExitSignal is not null ? $"signal {ExitSignal}"
        : "ended without an exit status";
}
