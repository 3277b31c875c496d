namespace OrleansGate.Policy.Model;

/// <summary>
/// One mask of a policy's <c>masks:</c>: for whom and on which targets (<see cref="Match"/>, read like a rule's match:
/// identity and targets only), which columns and which detectors, and how values are replaced. The hash key is a
/// reference only (an environment variable name or a file path), as target passwords are.
/// </summary>
public sealed record PolicyMask
{
    public required string Name { get; init; }

    /// <summary>Line of the mask in its file, for messages.</summary>
    public int Line { get; init; }

    /// <summary>Identity and target match (statement keys are not allowed in a mask's match); empty lists mean any.</summary>
    public required PolicyRule Match { get; init; }

    /// <summary>Columns as <c>schema.table.column</c> globs.</summary>
    public IReadOnlyList<string> Columns { get; init; } = [];

    /// <summary>Built-in detector names, and the names of <see cref="Patterns"/>.</summary>
    public IReadOnlyList<string> Detectors { get; init; } = [];

    /// <summary>Configured regular expressions by name (run by the non-backtracking engine).</summary>
    public IReadOnlyDictionary<string, string> Patterns { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    public MaskMethod Method { get; init; }

    /// <summary>Characters kept at the end by <see cref="MaskMethod.Partial"/>.</summary>
    public int Keep { get; init; }

    /// <summary>Where <see cref="MaskMethod.Hash"/> finds its key: an environment variable's name (<c>key_env</c>).</summary>
    public string? KeyEnvironmentVariable { get; init; }

    /// <summary>Where <see cref="MaskMethod.Hash"/> finds its key: a file whose first line is the key (<c>key_file</c>).</summary>
    public string? KeyFile { get; init; }

    /// <summary>An output column derived from a masked one: masked whole (false) or the statement refused (true).</summary>
    public bool DenyDerived { get; init; }

    /// <summary>Refuse statements that filter, join, order or group on a masked column.</summary>
    public bool DenyPredicates { get; init; }
}
