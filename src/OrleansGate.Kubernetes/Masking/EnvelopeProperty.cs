namespace OrleansGate.Kubernetes.Masking;

/// <summary>The top-level properties that decide how a response is streamed.</summary>
internal enum EnvelopeProperty
{
    Other,
    Kind,
    ApiVersion,

    /// <summary>A watch event's type (ADDED, MODIFIED, DELETED, BOOKMARK, ERROR).</summary>
    Type,
    Items,
    Rows,
    Object,
}
