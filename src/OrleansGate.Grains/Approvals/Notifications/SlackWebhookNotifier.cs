using Microsoft.Extensions.Options;

namespace OrleansGate.Grains.Approvals.Notifications;

/// <summary>Posts <see cref="SlackMessage"/>s to a Slack incoming webhook, whose URL is read from its reference at each post.</summary>
public sealed class SlackWebhookNotifier(HttpClient http, IOptions<ApprovalNotificationOptions> options, TimeProvider time) : IApprovalNotifier
{
    public const string HttpClientName = "OrleansGate.Approvals.Slack";

    public string Name => "slack";

    public Task SendAsync(ApprovalNotice notice, CancellationToken ct)
    {
        var slack = options.Value.Slack;

        // Read per post, so a rotated URL (a new file, a restart for a variable) is taken without keeping the secret around.
        var url = new Uri(CredentialReference.Read(slack.WebhookUrlEnv, slack.WebhookUrlFile, ApprovalNotificationOptions.Section + ":Slack:WebhookUrl"));
        return WebhookPost.SendAsync(http, url, SlackMessage.Build(notice, time.GetUtcNow()), header: null, Name, ct);
    }
}
