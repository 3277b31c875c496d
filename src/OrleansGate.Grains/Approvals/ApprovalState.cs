using OrleansGate.Model;

namespace OrleansGate.Grains.Approvals;

/// <summary>What an approval grain stores. <see cref="ApprovalRequest.Text"/> is blanked once the retention after the decision has passed.</summary>
[GenerateSerializer]
public sealed class ApprovalState
{
    [Id(0)] public ApprovalRequest? Request { get; set; }
    [Id(1)] public ApprovalStatus Status { get; set; }
    [Id(2)] public DateTimeOffset RequestedAt { get; set; }
    [Id(3)] public DateTimeOffset ExpiresAt { get; set; }
    [Id(4)] public List<ApprovalVoteRecord> Votes { get; set; } = [];
    [Id(5)] public DateTimeOffset? DecidedAt { get; set; }

    /// <summary>The deciding vote's comment, or why it expired or was withdrawn.</summary>
    [Id(6)] public string? Comment { get; set; }

    /// <summary>The reuse window granted (the shortest any approving approver granted, capped by the rule).</summary>
    [Id(7)] public TimeSpan ReuseWindow { get; set; }
}
