using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using OrleansGate.KubernetesApiStandIn.Endpoints;
using OrleansGate.KubernetesApiStandIn.Store;

namespace OrleansGate.KubernetesApiStandIn.Pods;

/// <summary>
/// <c>pods/{name}/exec</c> and <c>pods/{name}/attach</c> over WebSocket, the remote-command protocol kubectl
/// (1.30 and later) and KubernetesClient speak:
/// <code>
///   client                                   stand-in
///   GET …/exec?command=echo&amp;command=hi&amp;stdout=true
///     Upgrade: websocket, Sec-WebSocket-Protocol: v5.channel.k8s.io
///                                  ◄──────── 101, Sec-WebSocket-Protocol: v5.channel.k8s.io
///   [0 stdin bytes…] ─────────►              (fake command runs)
///   [255 0] (v5: stdin ended) ─►
///                                  ◄──────── [1 "hi\n"]        stdout
///                                  ◄──────── [3 {Status}]      exit status
///                                  ◄──────── close 1000
/// </code>
/// SPDY (kubectl's fallback when the WebSocket upgrade fails) is not served. Attach "attaches" to a
/// process that behaves as <c>cat</c>.
/// </summary>
internal sealed class PodExecEndpoint(ObjectStore store, ILogger logger, CancellationToken stopping)
{
    /// <summary>In the stand-in's order of preference; v5 adds the CLOSE signal that lets stdin end.</summary>
    public static IReadOnlyList<string> Subprotocols { get; } = ["v5.channel.k8s.io", "v4.channel.k8s.io"];

    /// <summary>How long to wait for the client's close frame after ours, before dropping the connection.</summary>
    private static readonly TimeSpan CloseLinger = TimeSpan.FromSeconds(5);

    public async Task HandleAsync(HttpContext context, ResourcePath path)
    {
        var request = context.Request;
        var pod = store.Get(path.Resource, path.Namespace, path.Name!);
        PodLogEndpoint.CheckContainer(pod, request.Query["container"]);
        if (pod["status"]?["phase"]?.GetValue<string>() is "Succeeded" or "Failed")
        {
            throw new ApiStatusException(ApiStatus.BadRequest("cannot exec into a container in a completed pod"));
        }

        IReadOnlyList<string> command = path.Subresource == "attach" ? ["cat"] : [.. request.Query["command"].Select(c => c ?? "")];
        if (command.Count == 0)
        {
            throw new ApiStatusException(ApiStatus.BadRequest("you must specify at least 1 command"));
        }

        if (!context.WebSockets.IsWebSocketRequest)
        {
            throw new ApiStatusException(ApiStatus.BadRequest(
                "Upgrade request required: the Kubernetes API stand-in serves exec and attach over WebSocket only (no SPDY)"));
        }

        var protocol = Subprotocols.FirstOrDefault(context.WebSockets.WebSocketRequestedProtocols.Contains)
            ?? throw new ApiStatusException(ApiStatus.BadRequest(
                $"none of the requested subprotocols is served; the stand-in speaks {string.Join(", ", Subprotocols)}"));

        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { SubProtocol = protocol }).ConfigureAwait(false);
        using var connection = new ExecConnection(socket);
        if (!JsonResponse.Flag(request, "stdin"))
        {
            connection.EndStdin();
        }

        using var ending = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        StandInLog.ExecStarted(logger, path.Namespace, path.Name!, protocol, string.Join(' ', command));
        var receiving = connection.ReceiveAsync(ending.Token);
        try
        {
            var outcome = await FakeCommands.RunAsync(command, connection, ending.Token).ConfigureAwait(false);
            var status = Encoding.UTF8.GetBytes(outcome.ToStatus(command).ToJsonString());
            await connection.SendAsync(StreamChannel.Error, status, ending.Token).ConfigureAwait(false);
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", ending.Token).ConfigureAwait(false);

            // Bounded on the wall clock: a client that never answers our close frame must not hold the request.
            await receiving.WaitAsync(CloseLinger, ending.Token).ConfigureAwait(false);
            StandInLog.ExecEnded(logger, path.Namespace, path.Name!, outcome.ExitCode);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or TimeoutException)
        {
            StandInLog.ExecConnectionLost(logger, e, path.Namespace, path.Name!);
            socket.Abort();
        }
    }
}
