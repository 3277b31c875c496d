namespace OrleansGate.Grains.Approvals.Notifications;

/// <summary>One channel approvers hear about approvals on (Slack, a JSON webhook), chosen by configuration.</summary>
public interface IApprovalNotifier
{
    /// <summary>How logs name this channel (never its URL: webhook URLs are secrets).</summary>
    string Name { get; }

    /// <summary>Delivers <paramref name="notice"/> once; throws when it was not delivered (<see cref="ApprovalNotifications"/> retries).</summary>
    Task SendAsync(ApprovalNotice notice, CancellationToken ct);
}
