namespace OrleansGate.Grains.Approvals.Notifications;

/// <summary>
/// <c>…:Notifications:Slack</c>. Both secrets are given by reference only (an environment variable's name or a file
/// whose first line is the value): a Slack webhook URL lets anyone post to the channel, and the signing secret lets
/// anyone vote as a mapped user.
/// </summary>
public sealed class SlackNotificationOptions
{
    public string? WebhookUrlEnv { get; set; }

    public string? WebhookUrlFile { get; set; }

    /// <summary>Slack's app signing secret, which authenticates votes on <c>POST /api/slack/interactive</c>.</summary>
    public string? SigningSecretEnv { get; set; }

    public string? SigningSecretFile { get; set; }

    /// <summary>
    /// Slack user id (e.g. <c>U024BE7LH</c>) → the approver that user votes as. A Slack user not listed here cannot
    /// vote: Slack's own identity says nothing about the gateway's approver groups.
    /// </summary>
    public Dictionary<string, SlackApproverOptions> Users { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Whether messages are posted to Slack.</summary>
    public bool SendsMessages => CredentialReference.IsSet(WebhookUrlEnv, WebhookUrlFile);

    /// <summary>Whether the interactive endpoint takes votes.</summary>
    public bool AcceptsVotes => CredentialReference.IsSet(SigningSecretEnv, SigningSecretFile);
}
