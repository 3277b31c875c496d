using System.IO.Pipelines;
using System.Net.Sockets;

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

    public async ValueTask DisposeAsync()
    {
        await Input.CompleteAsync().ConfigureAwait(false);
        await Output.CompleteAsync().ConfigureAwait(false);
        await stream.DisposeAsync().ConfigureAwait(false);
        socket.Dispose();
    }
}
