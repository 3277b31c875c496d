namespace OrleansGate.Edge.Postgres;

/// <summary>How a write held to the agent's rows-changed budget ended, as far as the client loop must act on it.</summary>
internal enum RowsGuardVerdict
{
    /// <summary>Within the budget (or it changed nothing, failed, or was skipped): it may commit.</summary>
    Within,

    /// <summary>It changed more than was left: its answer was replaced by the refusal, and it must be rolled back.</summary>
    Exceeded,

    /// <summary>A COPY FROM STDIN began: refused in its CopyInResponse's place; the client loop ends the copy with CopyFail.</summary>
    CopyIn,
}

/// <summary>
/// One write the relay holds to the agent's rows-changed budget (PostgresSession.RowsGuard.cs): what was left when it was
/// sent, whether the gateway opened the transaction it runs in, and what its answer said. The client loop creates it and
/// waits on it; the upstream loop counts the write's rows and settles it.
/// </summary>
internal sealed class RowsGuard(long remaining, bool wrapped)
{
    /// <summary>Rows left of the budget when the write was sent.</summary>
    public long Remaining { get; } = remaining;

    /// <summary>The gateway sent BEGIN before it (the session was idle), and ends that transaction after it.</summary>
    public bool Wrapped { get; set; } = wrapped;

    /// <summary>Rows it changed so far (the sum of its CommandComplete counts; upstream loop only).</summary>
    public long Rows { get; set; }

    /// <summary>Its answer was replaced by the refusal (upstream loop, before <see cref="Verdict"/> or <see cref="Ended"/> completes).</summary>
    public bool Refused { get; set; }

    /// <summary>The first thing the client loop must act on: the write's verdict, or a COPY FROM STDIN beginning.</summary>
    public TaskCompletionSource<RowsGuardVerdict> Verdict { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A simple Query's cycle ended (its ReadyForQuery, withheld from the client when the gateway ends the transaction).</summary>
    public TaskCompletionSource Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
