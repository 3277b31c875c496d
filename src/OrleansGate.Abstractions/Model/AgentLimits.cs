namespace OrleansGate.Model;

/// <summary>
/// The limits the policy sets on one agent across the whole cluster (<c>limits:</c>): for each kind, the most restrictive
/// of the matching entries, or null where none sets that kind. Computed on the edge from its copy of the policy and sent
/// to the agent grain, which enforces them (DESIGN §4).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record AgentLimits(
    [property: Id(0)] StatementRateLimit? Statements,
    [property: Id(1)] SessionLimit? Sessions,
    [property: Id(2)] RowBudgetLimit? RowsRead,
    [property: Id(3)] RowBudgetLimit? RowsChanged)
{
    public static readonly AgentLimits None = new(null, null, null, null);

    public bool IsEmpty => Statements is null && Sessions is null && RowsRead is null && RowsChanged is null;
}

/// <summary>At most <paramref name="PerSecond"/> statements a second, set by the limit entry <paramref name="Limit"/>.</summary>
[GenerateSerializer, Immutable]
public sealed record StatementRateLimit([property: Id(0)] string Limit, [property: Id(1)] double PerSecond)
{
    /// <summary>
    /// How many tokens an edge takes at a time: a twentieth of a second's worth, at least one. Small, so what an edge holds
    /// unused is little; large enough that an edge asks the agent grain about twenty times a second at most.
    /// </summary>
    public int LeaseSize => (int)Math.Clamp(PerSecond / 20, 1, 10_000);

    /// <summary>
    /// The most tokens an edge takes at a time when its sessions asked for more during its previous lease call: an eighth
    /// of a second's worth (half the agent's bucket), at least <see cref="LeaseSize"/>. An edge takes at most one lease
    /// per round trip to the agent grain, so with leases of <see cref="LeaseSize"/> only, a round trip of 120 ms (a
    /// loaded machine) held three edges to 50 statements/s whatever the rate.
    /// </summary>
    public int MaxLeaseSize => Math.Max(LeaseSize, (int)Math.Min(PerSecond / 8, 10_000));
}

/// <summary>At most <paramref name="Max"/> sessions at once, set by the limit entry <paramref name="Limit"/>.</summary>
[GenerateSerializer, Immutable]
public sealed record SessionLimit([property: Id(0)] string Limit, [property: Id(1)] int Max);

/// <summary>At most <paramref name="Max"/> rows per <paramref name="Window"/>, set by the limit entry <paramref name="Limit"/>.</summary>
[GenerateSerializer, Immutable]
public sealed record RowBudgetLimit([property: Id(0)] string Limit, [property: Id(1)] long Max, [property: Id(2)] TimeSpan Window);
