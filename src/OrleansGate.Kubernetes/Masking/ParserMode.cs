namespace OrleansGate.Kubernetes.Masking;

/// <summary>Where <see cref="MaskingStreamParser"/> is in the response.</summary>
internal enum ParserMode
{
    /// <summary>Before a top-level value (a response holds one; a watch stream holds one per event).</summary>
    BetweenValues,

    /// <summary>
    /// In a top-level object whose shape is not known yet: held, while only kind, apiVersion and a watch event's type have
    /// been seen. Becomes <see cref="Unit"/> (a single object) or an envelope that is streamed (a list, a Table, an event).
    /// </summary>
    Undecided,

    /// <summary>In an object held whole until its end (see <see cref="UnitRole"/>).</summary>
    Unit,

    /// <summary>Between the top-level properties of a streamed envelope.</summary>
    EnvelopeProperties,

    /// <summary>In a streamed envelope property copied as it is (a list's metadata, a Table's columnDefinitions).</summary>
    CopyValue,

    /// <summary>Between the elements of a streamed list's <c>items</c>.</summary>
    Items,

    /// <summary>Between the elements of a streamed Table's <c>rows</c>.</summary>
    Rows,
}
