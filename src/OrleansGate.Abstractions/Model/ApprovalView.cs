namespace OrleansGate.Model;

/// <summary>
/// An approval as its readers see it. <see cref="Text"/> (the request in full) is given only to approvers, and only
/// while it is kept; agents and the audit get <see cref="Request"/>'s normalised form.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ApprovalView(
    [property: Id(0)] string Id,
    [property: Id(1)] ApprovalStatus Status,
    [property: Id(2)] ApprovalRequest Request,
    [property: Id(3)] DateTimeOffset RequestedAt,
    [property: Id(4)] DateTimeOffset ExpiresAt,
    [property: Id(5)] IReadOnlyList<ApprovalVoteRecord> Votes,
    [property: Id(6)] DateTimeOffset? DecidedAt,
    [property: Id(7)] string? DecisionComment,
    [property: Id(8)] TimeSpan ReuseWindow)
{
    /// <summary>Approvers who approved, in order.</summary>
    public IEnumerable<string> Approvers => Votes.Where(v => v.Approve).Select(v => v.Approver);

    /// <summary>The one who decided (the denier, or the approver whose vote completed the count).</summary>
    public string? DecidedBy => Status switch
    {
        ApprovalStatus.Denied => Votes.LastOrDefault(v => !v.Approve)?.Approver,
        ApprovalStatus.Approved => Votes.LastOrDefault(v => v.Approve)?.Approver,
        _ => null,
    };

    /// <summary>This view without the request's full text (for whoever is not an approver).</summary>
    public ApprovalView WithoutText() => this with { Request = Request with { Text = "" } };
}
