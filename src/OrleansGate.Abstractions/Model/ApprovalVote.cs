namespace OrleansGate.Model;

/// <summary>
/// One approver's answer. <paramref name="Approver"/> comes from the approver's own validated token, never from the
/// request body. <paramref name="ReuseWindow"/> is what the approver grants beyond this request (capped by the rule).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ApprovalVote(
    [property: Id(0)] AgentIdentity Approver,
    [property: Id(1)] bool Approve,
    [property: Id(2)] string? Comment,
    [property: Id(3)] TimeSpan ReuseWindow,
    [property: Id(4)] string Channel);
