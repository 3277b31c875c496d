namespace OrleansGate.Policy.Model;

/// <summary>A validated policy, ready to evaluate. Immutable, so one instance is shared by every session.</summary>
public sealed record CompiledPolicy
{
    /// <summary>The label from the file, or a hash of its text when the file names none.</summary>
    public required string Version { get; init; }

    public required IReadOnlyList<PolicyRule> Rules { get; init; }

    /// <summary>Where it was loaded from, for messages.</summary>
    public string Source { get; init; } = "";
}
