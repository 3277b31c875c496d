namespace OrleansGate.Kubernetes.Masking;

/// <summary>The bytes [<see cref="Start"/>, <see cref="End"/>) of one object's JSON are written as <see cref="Json"/>.</summary>
internal readonly record struct Replacement(long Start, long End, ReadOnlyMemory<byte> Json);
