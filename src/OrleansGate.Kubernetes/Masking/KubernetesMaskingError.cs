namespace OrleansGate.Kubernetes.Masking;

/// <summary>Why <see cref="KubernetesResponseMasker"/> stopped. Every case fails closed: the response must be ended.</summary>
public enum KubernetesMaskingError
{
    /// <summary>The response is not well-formed JSON, or it ended inside a value.</summary>
    MalformedJson,

    /// <summary>One object (a single object, a list item, a table row or a watch event's object) is over the cap.</summary>
    ObjectTooLarge,

    /// <summary>
    /// Well-formed JSON whose shape leaves an object's kind unknown when it must be written (a list item without a kind
    /// before the list's kind), or that is not a Kubernetes response at all (a top-level array or scalar).
    /// </summary>
    UnmaskableShape,

    /// <summary>
    /// A Table or metadata-only object (<see cref="ServerSideForm"/>) where the rules refuse them: its cells or metadata
    /// copy values of objects the masker cannot see. It was not written.
    /// </summary>
    ServerSideForm,
}
