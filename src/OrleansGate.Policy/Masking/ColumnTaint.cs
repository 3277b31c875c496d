using OrleansGate.Policy.Model;

namespace OrleansGate.Policy.Masking;

/// <summary>A result column that may carry the value of a masked column.</summary>
/// <param name="Mask">The mask of (one of) the masked columns whose value it may carry.</param>
/// <param name="Derived">False: the column is a bare reference to the masked column itself; true: computed from it.</param>
public readonly record struct ColumnTaint(PolicyMask Mask, bool Derived);
