namespace OrleansGate.Grains.Approvals;

/// <summary>
/// A reuse window approvers granted: the exact text it covers (by hash), or every text of the shape (null), until when.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ApprovalGrant(
    [property: Id(0)] string ApprovalId,
    [property: Id(1)] string? ExactText,
    [property: Id(2)] DateTimeOffset Until);
