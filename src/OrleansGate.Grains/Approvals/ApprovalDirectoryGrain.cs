namespace OrleansGate.Grains.Approvals;

/// <summary>The one list of approvals that may be pending (see <see cref="IApprovalDirectoryGrain"/>); each approval keeps its own state.</summary>
public sealed class ApprovalDirectoryGrain(
    [PersistentState("approval-directory", GrainStorage.Name)] IPersistentState<ApprovalDirectoryState> state) : Grain, IApprovalDirectoryGrain
{
    /// <summary>Bounds the list: beyond it ids are dropped from the listing (those approvals still expire and can be decided by id).</summary>
    public const int MaxPending = 10_000;

    public async Task Add(string approvalId)
    {
        if (state.State.Pending.Add(approvalId))
        {
            while (state.State.Pending.Count > MaxPending)
            {
                state.State.Pending.Remove(state.State.Pending.Min!);
            }

            await state.WriteStateAsync();
        }
    }

    public async Task Remove(string approvalId)
    {
        if (state.State.Pending.Remove(approvalId))
        {
            await state.WriteStateAsync();
        }
    }

    public Task<IReadOnlyList<string>> List() => Task.FromResult<IReadOnlyList<string>>([.. state.State.Pending]);
}
