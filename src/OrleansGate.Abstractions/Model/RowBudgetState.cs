namespace OrleansGate.Model;

/// <summary>
/// The agent's rows budgets as its grain counts them, after a charge: per kind, the rows counted in the current window and
/// when that window ends (null: the kind has no budget).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record RowBudgetState([property: Id(0)] RowBudgetUse? Read, [property: Id(1)] RowBudgetUse? Changed);

/// <summary><paramref name="Used"/> rows counted in the window that ends at <paramref name="ResetsAt"/>.</summary>
[GenerateSerializer, Immutable]
public sealed record RowBudgetUse([property: Id(0)] long Used, [property: Id(1)] DateTimeOffset ResetsAt);
