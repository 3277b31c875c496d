using OrleansGate.Edge.Identity;

namespace OrleansGate.Host.Approvals;

/// <summary>The issuers whose tokens name approvers (<c>OrleansGate:Approvals:Identity</c>); none means no one can decide.</summary>
public sealed class ApproverIdentityOptions
{
    public IdentityOptions Identity { get; } = new();
}
