using System.Buffers;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using OrleansGate.Postgres.Protocol;

namespace OrleansGate.Edge.Postgres;

/// <summary>CancelRequest: a key the gateway issued is mapped to the upstream's own and sent to the target.</summary>
public sealed partial class PostgresSession
{
    /// <summary>Sends the upstream's own cancel key to the target, only for a key this gateway issued.</summary>
    private async Task ForwardCancelAsync(int processId, int secretKey)
    {
        if (!_services.CancelKeys.TryResolve(processId, secretKey, out var target))
        {
            LogUnknownCancelKey(_logger, ClientAddress);
            return;
        }

        try
        {
            using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5), _services.Time);
            await socket.ConnectAsync(target.Host, target.Port, timeout.Token).ConfigureAwait(false);
            var buffer = new ArrayBufferWriter<byte>(16);
            FrontendWriter.CancelRequest(buffer, target.UpstreamProcessId, target.UpstreamSecretKey);
            await socket.SendAsync(buffer.WrittenMemory, SocketFlags.None, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            LogCancelFailed(_logger, e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Cancel request from {Client} with a key this gateway did not issue: ignored")]
    private static partial void LogUnknownCancelKey(ILogger logger, string client);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Forwarding a cancel request failed: {Error}")]
    private static partial void LogCancelFailed(ILogger logger, string error);
}
