using Microsoft.Extensions.Options;

namespace OrleansGate.Grains.Approvals.Notifications;

/// <summary>
/// Refuses, at start, notification settings that could only fail later: a credential that cannot be read, a URL that
/// is not one, a vote endpoint nobody can vote through. Messages name settings and references, never a secret's value.
/// </summary>
public sealed class ApprovalNotificationOptionsValidator : IValidateOptions<ApprovalNotificationOptions>
{
    private const string At = ApprovalNotificationOptions.Section;

    public ValidateOptionsResult Validate(string? name, ApprovalNotificationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        ValidateSlack(options.Slack, failures);
        ValidateWebhook(options.Webhook, failures);

        if (!string.IsNullOrWhiteSpace(options.PageUrl) && !IsHttpUrl(options.PageUrl, loopbackOnlyForHttp: false))
        {
            failures.Add($"{At}:PageUrl '{options.PageUrl}' must be an absolute http(s) URL.");
        }

        if (options.QueueCapacity is < 1 or > 100_000)
        {
            failures.Add($"{At}:QueueCapacity must be between 1 and 100000.");
        }

        if (options.RemindEvery != TimeSpan.Zero && (options.RemindEvery < TimeSpan.FromSeconds(1) || options.RemindEvery > TimeSpan.FromDays(1)))
        {
            failures.Add($"{At}:RemindEvery must be zero (no reminders) or between 1 second and 1 day.");
        }

        if (options.MaxAttempts is < 1 or > 20)
        {
            failures.Add($"{At}:MaxAttempts must be between 1 and 20.");
        }

        if (options.FirstRetryDelay <= TimeSpan.Zero || options.MaxRetryDelay < options.FirstRetryDelay)
        {
            failures.Add($"{At}:FirstRetryDelay must be positive and MaxRetryDelay at least as long.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>https, or http to a loopback address when <paramref name="loopbackOnlyForHttp"/> (a secret must not cross the network in clear).</summary>
    internal static bool IsHttpUrl(string value, bool loopbackOnlyForHttp) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && (!loopbackOnlyForHttp || uri.IsLoopback)));

    private static void ValidateSlack(SlackNotificationOptions slack, List<string> failures)
    {
        const string Slack = At + ":Slack";
        if (Both(slack.WebhookUrlEnv, slack.WebhookUrlFile))
        {
            failures.Add($"{Slack}: give one of WebhookUrlEnv and WebhookUrlFile, not both.");
        }
        else if (slack.SendsMessages && TryRead(slack.WebhookUrlEnv, slack.WebhookUrlFile, Slack + ":WebhookUrl", failures) is { } url
            && !IsHttpUrl(url, loopbackOnlyForHttp: true))
        {
            // The URL is a secret: say where it came from, not what it is.
            failures.Add($"{Slack}:WebhookUrl{(string.IsNullOrWhiteSpace(slack.WebhookUrlEnv) ? "File" : "Env")} does not hold an absolute https URL.");
        }

        if (Both(slack.SigningSecretEnv, slack.SigningSecretFile))
        {
            failures.Add($"{Slack}: give one of SigningSecretEnv and SigningSecretFile, not both.");
        }
        else if (slack.AcceptsVotes)
        {
            TryRead(slack.SigningSecretEnv, slack.SigningSecretFile, Slack + ":SigningSecret", failures);
            if (slack.Users.Count == 0)
            {
                failures.Add($"{Slack}:Users maps no Slack user to an approver: every vote from Slack would be refused.");
            }
        }
        else if (slack.Users.Count > 0)
        {
            failures.Add($"{Slack}:Users is set but SigningSecretEnv/SigningSecretFile is not: votes from Slack cannot be verified, so none are taken.");
        }

        foreach (var (user, approver) in slack.Users)
        {
            if (string.IsNullOrWhiteSpace(approver.Issuer) || string.IsNullOrWhiteSpace(approver.Subject))
            {
                failures.Add($"{Slack}:Users:{user} needs Issuer and Subject (the approver that Slack user votes as).");
            }

            if (approver.Groups.Exists(string.IsNullOrWhiteSpace))
            {
                failures.Add($"{Slack}:Users:{user}:Groups must not contain empty names.");
            }
        }
    }

    private static void ValidateWebhook(WebhookNotificationOptions webhook, List<string> failures)
    {
        const string Webhook = At + ":Webhook";
        if (webhook.IsConfigured && !IsHttpUrl(webhook.Url!, loopbackOnlyForHttp: true))
        {
            // Not echoed: a webhook URL often carries its own token.
            failures.Add($"{Webhook}:Url must be an absolute https URL (http only to a loopback address).");
        }

        if (!string.IsNullOrWhiteSpace(webhook.HeaderEnv))
        {
            if (!webhook.IsConfigured)
            {
                failures.Add($"{Webhook}:HeaderEnv is set but Url is not.");
            }

            try
            {
                JsonWebhookNotifier.ReadHeader(webhook.HeaderEnv);
            }
            catch (CredentialUnavailableException e)
            {
                failures.Add(e.Message);
            }
        }
    }

    private static bool Both(string? environmentVariable, string? file) =>
        !string.IsNullOrWhiteSpace(environmentVariable) && !string.IsNullOrWhiteSpace(file);

    private static string? TryRead(string? environmentVariable, string? file, string setting, List<string> failures)
    {
        try
        {
            return CredentialReference.Read(environmentVariable, file, setting);
        }
        catch (CredentialUnavailableException e)
        {
            failures.Add(e.Message);
            return null;
        }
    }
}
