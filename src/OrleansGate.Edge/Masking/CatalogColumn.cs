using OrleansGate.Policy.Model;

namespace OrleansGate.Edge.Masking;

/// <summary>One live column of a relation; <paramref name="Mask"/> is null in a <see cref="CatalogSnapshot"/> and for unmasked columns.</summary>
public readonly record struct CatalogColumn(short AttNum, string Name, uint TypeOid, PolicyMask? Mask);
