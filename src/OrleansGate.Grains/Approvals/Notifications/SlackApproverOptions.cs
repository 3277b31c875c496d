using OrleansGate.Model;

namespace OrleansGate.Grains.Approvals.Notifications;

/// <summary>The approver a Slack user votes as: what that approver's token would say.</summary>
public sealed class SlackApproverOptions
{
    public string Issuer { get; set; } = "";

    public string Subject { get; set; } = "";

    public List<string> Groups { get; set; } = [];

    public AgentIdentity ToIdentity() => new(Issuer, Subject, [.. Groups]);
}
