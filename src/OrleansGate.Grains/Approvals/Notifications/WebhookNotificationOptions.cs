namespace OrleansGate.Grains.Approvals.Notifications;

/// <summary><c>…:Notifications:Webhook</c>: a generic JSON webhook (<see cref="JsonWebhookNotifier"/>).</summary>
public sealed class WebhookNotificationOptions
{
    /// <summary>Where events are posted; https, or http on a loopback address.</summary>
    public string? Url { get; set; }

    /// <summary>
    /// The name of an environment variable holding one header sent with every post, as <c>Name: value</c> (e.g.
    /// <c>Authorization: Bearer …</c>), so a receiver can authenticate the gateway without a secret in configuration.
    /// </summary>
    public string? HeaderEnv { get; set; }

    public bool IsConfigured => !string.IsNullOrWhiteSpace(Url);
}
