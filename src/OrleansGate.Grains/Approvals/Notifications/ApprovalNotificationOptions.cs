namespace OrleansGate.Grains.Approvals.Notifications;

/// <summary>Configuration section <c>OrleansGate:Approvals:Notifications</c>: where approvers hear of approvals, and Slack's votes.</summary>
public sealed class ApprovalNotificationOptions
{
    public const string Section = "OrleansGate:Approvals:Notifications";

    /// <summary>A Slack incoming webhook (messages with Approve/Deny buttons) and Slack's interactive votes.</summary>
    public SlackNotificationOptions Slack { get; set; } = new();

    /// <summary>A generic JSON webhook.</summary>
    public WebhookNotificationOptions Webhook { get; set; } = new();

    /// <summary>The approvals page, e.g. <c>http://127.0.0.1:18080/approvals</c>; a notice links to <c>{PageUrl}/{id}</c>.</summary>
    public string? PageUrl { get; set; }

    /// <summary>Notices waiting for delivery at most; more are dropped (and counted) rather than slow the approval down.</summary>
    public int QueueCapacity { get; set; } = 1000;

    /// <summary>Deliveries tried per notifier and notice, the first included.</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>The wait after the first failed attempt; it doubles after each further one, up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often approvers are reminded of a request that still waits (zero: never).</summary>
    public TimeSpan RemindEvery { get; set; } = TimeSpan.FromMinutes(5);
}
