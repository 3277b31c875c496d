namespace OrleansGate.Model;

/// <summary>A vote as an approval keeps it: who (issuer and subject), what, when, through which channel.</summary>
[GenerateSerializer, Immutable]
public sealed record ApprovalVoteRecord(
    [property: Id(0)] string ApproverIssuer,
    [property: Id(1)] string ApproverSubject,
    [property: Id(2)] bool Approve,
    [property: Id(3)] string? Comment,
    [property: Id(4)] DateTimeOffset At,
    [property: Id(5)] string Channel)
{
    /// <summary>How an approver is named in messages and the audit.</summary>
    public string Approver => ApproverSubject;
}
