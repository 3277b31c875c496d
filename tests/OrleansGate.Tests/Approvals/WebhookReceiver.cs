using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using OrleansGate.Tests.Hosting;

namespace OrleansGate.Tests.Approvals;

/// <summary>
/// A real Kestrel server on 127.0.0.1 with a free port taking webhook posts: each is recorded (tests wait for the next
/// one) and answered with the status <see cref="StatusFor"/> gives its number (1 for the first post).
/// </summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Channel<ReceivedPost> _posts = Channel.CreateUnbounded<ReceivedPost>();
    private int _count;

    private WebhookReceiver(WebApplication app, Func<int, int> statusFor)
    {
        _app = app;
        StatusFor = statusFor;
    }

    public Func<int, int> StatusFor { get; }

    /// <summary>Scheme, host and port, without a trailing slash.</summary>
    public string Address { get; private set; } = "";

    public int Count => Volatile.Read(ref _count);

    public static async Task<WebhookReceiver> StartAsync(Func<int, int> statusFor)
    {
        WebhookReceiver? receiver = null;
        var (_, address) = await LoopbackWebApp.StartAsync(_ => { }, web =>
        {
            receiver = new WebhookReceiver(web, statusFor);
            web.MapPost("/{**path}", receiver.ReceiveAsync);
        });
        receiver!.Address = address;
        return receiver;
    }

    /// <summary>The next post received (waits for it, failing after a generous timeout).</summary>
    public async Task<ReceivedPost> NextAsync() => await _posts.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task ReceiveAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        var number = Interlocked.Increment(ref _count);
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var status = StatusFor(number);
        await _posts.Writer.WriteAsync(new ReceivedPost(number, context.Request.Path, headers, body.ToArray(), status));
        context.Response.StatusCode = status;
    }
}
