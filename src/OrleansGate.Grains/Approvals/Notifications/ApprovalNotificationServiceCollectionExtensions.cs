using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace OrleansGate.Grains.Approvals.Notifications;

public static class ApprovalNotificationServiceCollectionExtensions
{
    /// <summary>
    /// Binds <see cref="ApprovalNotificationOptions"/> from <paramref name="section"/> (<c>OrleansGate:Approvals:Notifications</c>,
    /// validated at start) and registers the notifiers it configures and <see cref="ApprovalNotifications"/>, the
    /// singleton approval grains hand notices to (also the hosted service that delivers them).
    /// </summary>
    public static IServiceCollection AddApprovalNotifications(this IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        services.AddOptions<ApprovalNotificationOptions>().Bind(section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ApprovalNotificationOptions>, ApprovalNotificationOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);

        // Which notifiers exist is decided here, once: changing them needs a restart.
        var configured = section.Get<ApprovalNotificationOptions>() ?? new ApprovalNotificationOptions();
        if (configured.Slack.SendsMessages)
        {
            AddWebhookClient(services, SlackWebhookNotifier.HttpClientName);
            services.AddSingleton<IApprovalNotifier>(sp => new SlackWebhookNotifier(
                sp.GetRequiredService<IHttpClientFactory>().CreateClient(SlackWebhookNotifier.HttpClientName),
                sp.GetRequiredService<IOptions<ApprovalNotificationOptions>>(),
                sp.GetRequiredService<TimeProvider>()));
        }

        if (configured.Webhook.IsConfigured)
        {
            AddWebhookClient(services, JsonWebhookNotifier.HttpClientName);
            services.AddSingleton<IApprovalNotifier>(sp => new JsonWebhookNotifier(
                sp.GetRequiredService<IHttpClientFactory>().CreateClient(JsonWebhookNotifier.HttpClientName),
                sp.GetRequiredService<IOptions<ApprovalNotificationOptions>>()));
        }

        services.TryAddSingleton<ApprovalNotifications>();
        services.AddHostedService(sp => sp.GetRequiredService<ApprovalNotifications>());
        return services;
    }

    private static void AddWebhookClient(IServiceCollection services, string name) =>
        services.AddHttpClient(name)
            .ConfigureHttpClient(client => client.Timeout = TimeSpan.FromSeconds(10))

            // A redirect would repeat the post somewhere the configuration never named.
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            })

            // HttpClientFactory's loggers write each request's URL, and a Slack webhook URL is a secret.
            .RemoveAllLoggers();
}
