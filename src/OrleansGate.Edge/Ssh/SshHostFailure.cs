namespace OrleansGate.Edge.Ssh;

/// <summary>
/// The command could not be started on its host: the host's key is not the pinned one, the host refused the gateway's
/// key, the gateway's key could not be read, or the host did not answer. The message is for the agent and the audit:
/// it names the target and what failed, never a key.
/// </summary>
public sealed class SshHostFailure(string message, Exception? inner = null) : Exception(message, inner);
