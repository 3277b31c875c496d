namespace OrleansGate.Kubernetes.Masking;

/// <summary>How far into <see cref="MaskPath"/> number <see cref="Path"/> the walk has matched: the next segment to match.</summary>
internal readonly record struct PathCursor(int Path, int Segment);
