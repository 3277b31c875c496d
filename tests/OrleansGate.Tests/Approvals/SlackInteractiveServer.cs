using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using OrleansGate.Grains.Approvals.Notifications;
using OrleansGate.Host.Approvals;
using OrleansGate.Tests.Hosting;

namespace OrleansGate.Tests.Approvals;

/// <summary>
/// A real Kestrel server on 127.0.0.1 with a free port serving only <c>POST /api/slack/interactive</c>, configured as
/// the gateway would be (signing secret by file, one mapped Slack user), voting into a <see cref="RecordingApprovalVoter"/>.
/// </summary>
internal sealed class SlackInteractiveServer : IAsyncDisposable
{
    public const string SigningSecret = "8f742231b10e8888abcd99yyyzzz85a5";
    public const string MappedUser = "U024BE7LH";

    private readonly WebApplication _app;

    private SlackInteractiveServer(WebApplication app, string address, RecordingApprovalVoter voter)
    {
        _app = app;
        Voter = voter;
        Http = new HttpClient { BaseAddress = new Uri(address + "/") };
    }

    public static DateTimeOffset Now { get; } = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    public HttpClient Http { get; }

    public RecordingApprovalVoter Voter { get; }

    public static async Task<SlackInteractiveServer> StartAsync(string secretFile)
    {
        File.WriteAllText(secretFile, SigningSecret + "\n");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [ApprovalNotificationOptions.Section + ":Slack:SigningSecretFile"] = secretFile,
            [ApprovalNotificationOptions.Section + ":Slack:Users:" + MappedUser + ":Issuer"] = "https://idp.example/oauth2/default",
            [ApprovalNotificationOptions.Section + ":Slack:Users:" + MappedUser + ":Subject"] = "carol",
            [ApprovalNotificationOptions.Section + ":Slack:Users:" + MappedUser + ":Groups:0"] = "dba",
        }).Build();

        var voter = new RecordingApprovalVoter();
        var (app, address) = await LoopbackWebApp.StartAsync(
            services => services
                .AddSingleton<TimeProvider>(new FakeTimeProvider(Now))
                .AddApprovalNotifications(configuration.GetSection(ApprovalNotificationOptions.Section))
                .AddSingleton<IApprovalVoter>(voter),
            web => web.MapSlackInteractive());
        return new SlackInteractiveServer(app, address, voter);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
