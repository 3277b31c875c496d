using OrleansGate.Model;

namespace OrleansGate.Grains.Approvals;

/// <summary>
/// The approvals of one agent, target and statement shape (see <see cref="IApprovalRequestsGrain"/>). It calls approval
/// grains and is never called by them, so the two cannot wait on each other.
/// </summary>
/// <remarks>
/// A request finds, in order: a reuse window that covers it (runs); the approval opened for its exact text — pending
/// (waits), approved (runs, and the approval is used up: a window it granted stays), or denied, expired or withdrawn
/// (refused, told once; the next request asks again); else a new approval, persisted before this answer.
/// </remarks>
public sealed class ApprovalRequestsGrain(
    [PersistentState("approval-requests", GrainStorage.Name)] IPersistentState<ApprovalRequestsState> state,
    TimeProvider time) : Grain, IApprovalRequestsGrain
{
    public async Task<ApprovalTicket> Request(ApprovalRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var s = state.State;
        var now = time.GetUtcNow();
        var exact = ApprovalKeys.ExactText(request.Text);
        var changed = s.Grants.RemoveAll(g => g.Until <= now) > 0;

        if (s.Grants.Find(g => g.ExactText is null || g.ExactText == exact) is { } grant
            && await GrainFactory.GetGrain<IApprovalGrain>(grant.ApprovalId).Get() is { } granted)
        {
            await WriteIfAsync(changed);
            return new ApprovalTicket(ApprovalTicketKind.Granted, granted.WithoutText());
        }

        if (s.Open.TryGetValue(exact, out var openId) && await GrainFactory.GetGrain<IApprovalGrain>(openId).Get() is { } open)
        {
            if (open.Status == ApprovalStatus.Pending)
            {
                await WriteIfAsync(changed);
                return new ApprovalTicket(ApprovalTicketKind.Pending, open.WithoutText());
            }

            s.Open.Remove(exact);
            if (open.Status == ApprovalStatus.Approved && open.ReuseWindow > TimeSpan.Zero && open.DecidedAt is { } decided)
            {
                s.Grants.Add(new ApprovalGrant(open.Id, open.Request.Terms.Reuse == ApprovalReuse.Shape ? null : exact, decided + open.ReuseWindow));
            }

            await state.WriteStateAsync();
            return new ApprovalTicket(open.Status == ApprovalStatus.Approved ? ApprovalTicketKind.Granted : ApprovalTicketKind.Refused, open.WithoutText());
        }

        var id = ApprovalKeys.NewId();
        var opened = await GrainFactory.GetGrain<IApprovalGrain>(id).Open(request);
        s.Open[exact] = id;
        await state.WriteStateAsync();
        return new ApprovalTicket(ApprovalTicketKind.Opened, opened.WithoutText());
    }

    private Task WriteIfAsync(bool changed) => changed ? state.WriteStateAsync() : Task.CompletedTask;
}
