using System.Net;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using OrleansGate.IntegrationTests.Infrastructure;

namespace OrleansGate.IntegrationTests.Approvals;

/// <summary>A real HTTP endpoint on loopback that takes the gateway's JSON webhook posts, as a receiving service would.</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Channel<JsonElement> _events = Channel.CreateUnbounded<JsonElement>();

    private WebhookReceiver(WebApplication app, int port)
    {
        _app = app;
        Url = $"http://127.0.0.1:{port}/hook";
    }

    public string Url { get; }

    public static async Task<WebhookReceiver> StartAsync()
    {
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        var receiver = new WebhookReceiver(app, port);
        app.MapPost("/hook", async (HttpContext context) =>
        {
            using var json = await JsonDocument.ParseAsync(context.Request.Body);
            await receiver._events.Writer.WriteAsync(json.RootElement.Clone());
            return Results.NoContent();
        });
        await app.StartAsync();
        return receiver;
    }

    /// <summary>The first event of <paramref name="kind"/> about approval <paramref name="id"/> (events about others are skipped).</summary>
    public async Task<JsonElement> NextAsync(string kind, string id)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await foreach (var e in _events.Reader.ReadAllAsync(timeout.Token))
        {
            if (e.GetProperty("event").GetString() == kind && e.GetProperty("approval").GetProperty("id").GetString() == id)
            {
                return e;
            }
        }

        throw new InvalidOperationException("the receiver stopped");
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
