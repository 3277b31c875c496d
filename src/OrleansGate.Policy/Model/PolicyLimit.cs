using OrleansGate.Model;

namespace OrleansGate.Policy.Model;

/// <summary>
/// One entry of a policy's <c>limits:</c>: for whom (<see cref="Match"/>, read like a rule's identity match) and any of
/// the cluster-wide limits per agent. Kinds the entry does not set are null.
/// </summary>
public sealed record PolicyLimit
{
    public required string Name { get; init; }

    /// <summary>Line of the entry in its file, for messages.</summary>
    public int Line { get; init; }

    /// <summary>Issuers, subjects, groups and claims only; empty lists mean any agent.</summary>
    public required PolicyRule Match { get; init; }

    public double? StatementsPerSecond { get; init; }

    public int? Sessions { get; init; }

    public RowBudget? RowsRead { get; init; }

    public RowBudget? RowsChanged { get; init; }
}

/// <summary>At most <paramref name="Max"/> rows per <paramref name="Window"/>.</summary>
public sealed record RowBudget(long Max, TimeSpan Window);
