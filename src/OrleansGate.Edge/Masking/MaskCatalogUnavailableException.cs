namespace OrleansGate.Edge.Masking;

/// <summary>
/// The catalog of a target could not be read, so masked columns cannot be told apart: the statement is refused (fail
/// closed). The message names the target and the cause, never a password or a value, and is safe to show the agent.
/// </summary>
public sealed class MaskCatalogUnavailableException(string targetName, string reason, Exception? inner = null)
    : Exception($"the catalog of target '{targetName}' cannot be read for masking: {reason}", inner)
{
    public string TargetName { get; } = targetName;
}
