namespace OrleansGate.Grains.Approvals;

/// <summary>The ids of approvals that may still be pending.</summary>
[GenerateSerializer]
public sealed class ApprovalDirectoryState
{
    [Id(0)] public SortedSet<string> Pending { get; set; } = new(StringComparer.Ordinal);
}
