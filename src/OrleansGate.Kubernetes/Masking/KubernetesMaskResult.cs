namespace OrleansGate.Kubernetes.Masking;

/// <summary>What one masked response held.</summary>
/// <param name="ObjectsSeen">
/// Objects examined for their kind: a single object, each list item, each table row's object, each watch event's object.
/// </param>
/// <param name="ValuesMasked">Values replaced by a placeholder.</param>
public readonly record struct KubernetesMaskResult(long ObjectsSeen, long ValuesMasked);
