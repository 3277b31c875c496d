namespace OrleansGate.Edge.Sessions;

/// <summary>How a connection ended, as the drain counts it.</summary>
public enum DrainEnd
{
    /// <summary>Not by the drain: the client left, or something else ended it.</summary>
    NotByDrain,

    /// <summary>By the drain, at a transaction boundary (idle, or right after COMMIT/ROLLBACK).</summary>
    AtBoundary,

    /// <summary>By the drain's deadline, with a statement or transaction still open.</summary>
    AtDeadline,
}
