using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OrleansGate.Grains.Approvals.Notifications;

namespace OrleansGate.Tests.Approvals;

/// <summary>
/// <see cref="ApprovalNotifications"/> as <c>AddApprovalNotifications</c> registers it, from settings under
/// <c>OrleansGate:Approvals:Notifications</c>, on a fake clock, with every log line of every category recorded.
/// </summary>
internal sealed class NotificationHarness : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private NotificationHarness(ServiceProvider services, TimerSignallingTimeProvider time, RecordingLoggerProvider logs)
    {
        _services = services;
        Time = time;
        Logs = logs;
        Notifications = services.GetRequiredService<ApprovalNotifications>();
    }

    public TimerSignallingTimeProvider Time { get; }

    public RecordingLoggerProvider Logs { get; }

    public ApprovalNotifications Notifications { get; }

    public static async Task<NotificationHarness> StartAsync(IDictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.ToDictionary(s => ApprovalNotificationOptions.Section + ":" + s.Key, s => s.Value))
            .Build();
        var time = new TimerSignallingTimeProvider();
        var logs = new RecordingLoggerProvider();
        var services = new ServiceCollection()
            .AddLogging(logging => logging.AddProvider(logs).SetMinimumLevel(LogLevel.Trace))
            .AddSingleton<TimeProvider>(time)
            .AddApprovalNotifications(configuration.GetSection(ApprovalNotificationOptions.Section))
            .BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
        var harness = new NotificationHarness(services, time, logs);
        await harness.Notifications.StartAsync(CancellationToken.None);
        return harness;
    }

    public async ValueTask DisposeAsync()
    {
        await Notifications.StopAsync(CancellationToken.None);
        await _services.DisposeAsync();
    }
}
