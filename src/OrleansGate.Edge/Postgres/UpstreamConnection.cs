using System.IO.Pipelines;
using System.Net.Sockets;
using OrleansGate.Postgres.Protocol;

namespace OrleansGate.Edge.Postgres;

/// <summary>An authenticated connection to a target, ready for queries.</summary>
public sealed class UpstreamConnection(Socket socket, NetworkStream stream) : IAsyncDisposable
{
    public PipeReader Input { get; } = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));

    public PipeWriter Output { get; } = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));

    public List<(string Name, string Value)> ParameterStatuses { get; } = [];

    public int ProcessId { get; set; }

    public int SecretKey { get; set; }

    public byte TransactionStatus { get; set; } = (byte)'I';

    /// <summary>
    /// Hands each message from the target to <paramref name="handle"/> until it returns true, flushing
    /// <see cref="Output"/> after each read so what the handler wrote (an authentication reply) goes out.
    /// </summary>
    /// <param name="during">What is being read, for the error when the target hangs up (<c>login</c>).</param>
    public async Task ReadUntilAsync(int maxMessageLength, UpstreamMessageHandler handle, string during, CancellationToken ct)
    {
        while (true)
        {
            var result = await Input.ReadAsync(ct).ConfigureAwait(false);
            var buffer = result.Buffer;
            var consumed = buffer.Start;
            var examined = buffer.End;
            var done = false;
            try
            {
                while (!done && MessageFramer.TryRead(buffer, maxMessageLength, out var message, out var messageEnd, out _))
                {
                    done = handle(message);
                    buffer = buffer.Slice(messageEnd);
                    consumed = messageEnd;
                }
            }
            finally
            {
                // Past the last message handled only: what follows belongs to the next reader.
                Input.AdvanceTo(consumed, done ? consumed : examined);
            }

            await Output.FlushAsync(ct).ConfigureAwait(false);
            if (done)
            {
                return;
            }

            if (result.IsCompleted)
            {
                throw new IOException($"the target closed the connection during {during}");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Input.CompleteAsync().ConfigureAwait(false);
        await Output.CompleteAsync().ConfigureAwait(false);
        await stream.DisposeAsync().ConfigureAwait(false);
        socket.Dispose();
    }
}
