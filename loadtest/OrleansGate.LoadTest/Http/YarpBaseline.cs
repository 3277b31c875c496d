using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace OrleansGate.LoadTest.Http;

/// <summary>
/// The HTTP comparison's third proxy: Kestrel and YARP's forwarder with nothing else (no token, no decision, no audit,
/// no masking), set up as the gateway sets up its own forward (one pooled <see cref="SocketsHttpHandler"/>, no
/// redirects, no decompression, no cookies). The gap between it and nginx is the proxy layer's; between it and the
/// gateway, the gateway's own work.
/// </summary>
public static class YarpBaseline
{
    public static async Task RunAsync(int port, Uri upstream, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        builder.Services.AddHttpForwarder();
        await using var app = builder.Build();
        using var invoker = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ConnectTimeout = TimeSpan.FromSeconds(15),
        });
        var forwarder = app.Services.GetRequiredService<IHttpForwarder>();
        var prefix = upstream.GetLeftPart(UriPartial.Authority);
        app.Run(async context => await forwarder.SendAsync(context, prefix, invoker, ForwarderRequestConfig.Empty, HttpTransformer.Empty));
        await app.StartAsync(cancellationToken);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, app.Lifetime.ApplicationStopping); // SIGTERM too
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
            // stopped (or its time bound passed)
        }

        await app.StopAsync(CancellationToken.None);
    }
}
