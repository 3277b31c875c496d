namespace OrleansGate.Grains.Approvals;

/// <summary>What a requests grain stores: the approval each exact text waits on, and the reuse windows granted.</summary>
[GenerateSerializer]
public sealed class ApprovalRequestsState
{
    /// <summary>Exact text hash → the approval opened for it and not yet reported to the agent as run or refused.</summary>
    [Id(0)] public Dictionary<string, string> Open { get; set; } = new(StringComparer.Ordinal);

    [Id(1)] public List<ApprovalGrant> Grants { get; set; } = [];
}
