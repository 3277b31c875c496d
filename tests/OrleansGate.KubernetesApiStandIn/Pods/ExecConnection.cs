using System.Buffers;
using System.Net.WebSockets;
using System.Threading.Channels;

namespace OrleansGate.KubernetesApiStandIn.Pods;

/// <summary>
/// One remote-command WebSocket: demultiplexes the client's messages into stdin (and drops resize), and
/// multiplexes the command's output onto channels, one message at a time. Stdin ends when the client sends
/// the v5 CLOSE signal for channel 0, sends a close frame, or did not ask for stdin at all.
/// </summary>
internal sealed class ExecConnection(WebSocket socket) : IDisposable
{
    private readonly SemaphoreSlim _sending = new(1, 1);
    private readonly Channel<ReadOnlyMemory<byte>> _stdin = Channel.CreateUnbounded<ReadOnlyMemory<byte>>();

    public ChannelReader<ReadOnlyMemory<byte>> Stdin => _stdin.Reader;

    public void EndStdin() => _stdin.Writer.TryComplete();

    public async Task SendAsync(StreamChannel channel, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var message = new byte[data.Length + 1];
        message[0] = (byte)channel;
        data.CopyTo(message.AsMemory(1));
        await _sending.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await socket.SendAsync(message, WebSocketMessageType.Binary, endOfMessage: true, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _sending.Release();
        }
    }

    /// <summary>Reads until the client's close frame (or the connection drops), feeding stdin on the way.</summary>
    public async Task ReceiveAsync(CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>();
        try
        {
            while (socket.State == WebSocketState.Open || socket.State == WebSocketState.CloseSent)
            {
                var result = await socket.ReceiveAsync(buffer.GetMemory(4096), cancellationToken).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                buffer.Advance(result.Count);
                if (!result.EndOfMessage)
                {
                    continue;
                }

                if (result.MessageType == WebSocketMessageType.Binary && buffer.WrittenCount > 0)
                {
                    Dispatch(buffer.WrittenMemory);
                }

                buffer.Clear();
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // The client went without a close frame, or the stand-in is stopping: as good as a close.
        }
        finally
        {
            EndStdin();
        }
    }

    public void Dispose() => _sending.Dispose();

    private void Dispatch(ReadOnlyMemory<byte> message)
    {
        switch ((StreamChannel)message.Span[0])
        {
            case StreamChannel.Stdin:
                _stdin.Writer.TryWrite(message[1..].ToArray());
                break;
            case StreamChannel.Close when message.Length > 1 && message.Span[1] == (byte)StreamChannel.Stdin:
                EndStdin();
                break;
            default:
                // Resize and anything else: no terminal here to size.
                break;
        }
    }
}
