namespace OrleansGate.Policy.Classification;

/// <summary>How a relation found at some place in the parse tree is used by the statement.</summary>
internal enum RelationUse
{
    Read,
    Write,
    Lock,

    /// <summary>FROM of a SELECT … FOR UPDATE without an OF list: every table there is read and locked.</summary>
    ReadAndLock,
}
