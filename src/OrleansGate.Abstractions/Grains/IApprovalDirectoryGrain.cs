namespace OrleansGate.Grains;

/// <summary>Key "pending": the ids of approvals that may still be pending, for listings (each approval is asked for its state).</summary>
[Alias("OrleansGate.IApprovalDirectoryGrain")]
public interface IApprovalDirectoryGrain : IGrainWithStringKey
{
    [Alias("Add")]
    Task Add(string approvalId);

    [Alias("Remove")]
    Task Remove(string approvalId);

    [Alias("List")]
    Task<IReadOnlyList<string>> List();
}
