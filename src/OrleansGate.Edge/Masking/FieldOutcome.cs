namespace OrleansGate.Edge.Masking;

/// <summary>What masking made of one non-NULL value.</summary>
internal enum FieldOutcome
{
    /// <summary>Forward the original bytes.</summary>
    Unchanged = 0,

    /// <summary>The replacement was written to the scratch buffer.</summary>
    Replaced = 1,

    /// <summary>The value becomes NULL.</summary>
    Null = 2,
}
