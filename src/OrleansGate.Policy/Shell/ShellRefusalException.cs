namespace OrleansGate.Policy.Shell;

/// <summary>Stops the parse at the first part of a line that cannot be judged; its message is the refusal shown to the agent.</summary>
internal sealed class ShellRefusalException(string message) : Exception(message);
