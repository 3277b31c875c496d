namespace OrleansGate.Model;

/// <summary>What an agent's request found (see <see cref="ApprovalTicket"/>).</summary>
public enum ApprovalTicketKind
{
    /// <summary>It may run: an approval decided for it, or a reuse window its approvers granted.</summary>
    Granted = 0,

    /// <summary>A new approval was opened for it (persisted before this answer).</summary>
    Opened = 1,

    /// <summary>An approval for the same agent, target and statement is already pending.</summary>
    Pending = 2,

    /// <summary>Its approval was denied, expired or withdrawn (told once; the next request opens a new one).</summary>
    Refused = 3,
}
