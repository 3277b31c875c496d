using Microsoft.Extensions.Options;

namespace OrleansGate.Grains.Approvals.Notifications;

/// <summary>Posts <see cref="ApprovalEventJson"/> events to <see cref="WebhookNotificationOptions.Url"/>.</summary>
public sealed class JsonWebhookNotifier(HttpClient http, IOptions<ApprovalNotificationOptions> options) : IApprovalNotifier
{
    public const string HttpClientName = "OrleansGate.Approvals.Webhook";

    public string Name => "webhook";

    public Task SendAsync(ApprovalNotice notice, CancellationToken ct)
    {
        var webhook = options.Value.Webhook;
        var header = string.IsNullOrWhiteSpace(webhook.HeaderEnv) ? ((string, string)?)null : ReadHeader(webhook.HeaderEnv);
        return WebhookPost.SendAsync(http, new Uri(webhook.Url!), ApprovalEventJson.Build(notice), header, Name, ct);
    }

    /// <summary>The <c>Name: value</c> header held by environment variable <paramref name="variable"/>.</summary>
    public static (string Name, string Value) ReadHeader(string variable)
    {
        var setting = ApprovalNotificationOptions.Section + ":Webhook:Header";
        var line = CredentialReference.Read(variable, file: null, setting);
        var colon = line.IndexOf(':', StringComparison.Ordinal);
        var name = colon > 0 ? line[..colon].Trim() : "";
        if (name.Length == 0 || name.AsSpan().ContainsAny(" \t\r\n") || line[(colon + 1)..].Trim().Length == 0)
        {
            throw new CredentialUnavailableException($"{setting}Env: environment variable {variable} does not hold a header as 'Name: value'");
        }

        return (name, line[(colon + 1)..].Trim());
    }
}
