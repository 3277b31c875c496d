using OrleansGate.Policy.Model;

namespace OrleansGate.Edge.Masking;

/// <summary>A masked column of one target, found by table OID and attribute number in a RowDescription.</summary>
/// <param name="Mask">The first mask of the session's policy that covers it.</param>
/// <param name="Label"><c>schema.table.column</c> as the catalog spells it, for audit and messages.</param>
/// <param name="TypeOid">The column's type (<c>atttypid</c>).</param>
public readonly record struct MaskedColumn(PolicyMask Mask, string Label, uint TypeOid);
