using OrleansGate.Edge.Classification;

namespace OrleansGate.Edge.Postgres;

/// <summary>What a forwarded message will change in the session's statement and portal tables once the target answers.</summary>
internal enum PendingExtendedKind
{
    /// <summary>A Parse: the statement is recorded at its ParseComplete.</summary>
    Parse,

    /// <summary>A Bind: the portal is recorded at its BindComplete.</summary>
    Bind,

    /// <summary>A Close of a statement: forgotten at its CloseComplete.</summary>
    CloseStatement,

    /// <summary>A Close of a portal: forgotten at its CloseComplete.</summary>
    ClosePortal,

    /// <summary>
    /// A Query carrying DEALLOCATE or DISCARD: every statement is forgotten when it is sent, and again once the
    /// messages before it are answered (a ParseComplete that arrives after the send was forgotten too).
    /// </summary>
    ForgetStatements,

    /// <summary>A Sync or Query: the end of a cycle, answered by ReadyForQuery. An error skips everything up to it.</summary>
    CycleEnd,
}

/// <summary>One forwarded message awaiting the target's answer, with the cycle (count of Syncs and Queries before it) it belongs to.</summary>
internal readonly record struct PendingExtended(PendingExtendedKind Kind, string Name, PreparedStatementDecision? Statement, long Cycle);
