namespace OrleansGate.Model;

/// <summary>What the gateway tells an edge about a request an approve rule holds, with the approval it concerns.</summary>
[GenerateSerializer, Immutable]
public sealed record ApprovalTicket(
    [property: Id(0)] ApprovalTicketKind Kind,
    [property: Id(1)] ApprovalView Approval);
