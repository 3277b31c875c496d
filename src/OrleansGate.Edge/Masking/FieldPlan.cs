namespace OrleansGate.Edge.Masking;

/// <summary>What to do with one result column.</summary>
/// <param name="TypeOid">The column's type (RowDescription), or 0 when unknown (COPY of a query).</param>
/// <param name="Format">0 text, 1 binary (RowDescription); ignored for COPY, whose format is the statement's.</param>
/// <param name="Masker">Not null: the column is masked whole. Null: detectors, if any, run on text-like values.</param>
/// <param name="Label">What the column is for the audit, e.g. <c>public.customers.email (pii)</c>.</param>
public readonly record struct FieldPlan(uint TypeOid, short Format, ValueMasker? Masker, string? Label);
