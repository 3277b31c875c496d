namespace OrleansGate.Edge.Masking;

/// <summary>
/// A view (or materialized view) reads a column of another relation, or, with <paramref name="ReferencedAttNum"/> 0,
/// the relation as a whole (<c>pg_depend.refobjsubid</c> 0, as for <c>select *</c> expanded or a whole-row reference).
/// </summary>
public readonly record struct ViewDependency(uint View, uint Referenced, short ReferencedAttNum);
