using OrleansGate.Model;

namespace OrleansGate.Grains;

/// <summary>
/// The approvals of one agent for one statement shape on one target (key: <see cref="ApprovalKeys.Requests"/>): which
/// approval each exact text waits on, and the reuse windows approvers granted. An agent that reconnects through any
/// edge and sends the same statement finds its pending or granted approval here instead of opening a second one.
/// </summary>
[Alias("OrleansGate.IApprovalRequestsGrain")]
public interface IApprovalRequestsGrain : IGrainWithStringKey
{
    /// <summary>
    /// What <paramref name="request"/> may do now: run (granted: consumes a once-only approval), wait on a pending
    /// approval, be refused with its approval's decision (told once), or wait on a new approval opened for it.
    /// </summary>
    [Alias("Request")]
    Task<ApprovalTicket> Request(ApprovalRequest request);
}
