namespace OrleansGate.Kubernetes.Masking;

/// <summary>What the object being held whole is, which decides how it is masked and where the stream goes on after it.</summary>
internal enum UnitRole
{
    /// <summary>The whole top-level object (a single object, or a list whose own kind has mask paths).</summary>
    TopLevel,

    /// <summary>One element of a streamed list's <c>items</c>.</summary>
    ListItem,

    /// <summary>One element of a streamed Table's <c>rows</c>.</summary>
    TableRow,

    /// <summary>The <c>object</c> of a streamed watch event.</summary>
    EventObject,
}
