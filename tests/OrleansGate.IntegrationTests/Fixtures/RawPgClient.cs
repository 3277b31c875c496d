using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using OrleansGate.Postgres.Protocol;

namespace OrleansGate.IntegrationTests.Fixtures;

/// <summary>
/// A minimal PostgreSQL client over a real socket, for messages no driver sends (the legacy function call,
/// malformed bytes). Built on the project's own codec.
/// </summary>
public sealed class RawPgClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;

    private RawPgClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        Input = PipeReader.Create(_stream);
        Output = PipeWriter.Create(_stream);
    }

    public PipeReader Input { get; }

    public PipeWriter Output { get; }

    /// <summary>This client's end of the connection: the address and port the gateway sees.</summary>
    public System.Net.IPEndPoint LocalEndPoint => (System.Net.IPEndPoint)_socket.LocalEndPoint!;

    public static async Task<RawPgClient> ConnectAsync(int port)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync("127.0.0.1", port);
        return new RawPgClient(socket);
    }

    /// <summary>Logs in with a token; returns the messages received up to and including ReadyForQuery.</summary>
    public async Task<List<(char Code, byte[] Payload)>> LoginAsync(
        string user, string database, string token, IEnumerable<KeyValuePair<string, string>>? parameters = null)
    {
        FrontendWriter.StartupMessage(Output, [new("user", user), new("database", database), .. parameters ?? []]);
        await Output.FlushAsync();
        var auth = await ReadAsync();
        if (auth.Code != 'R')
        {
            return [auth];
        }

        FrontendWriter.PasswordMessage(Output, token);
        await Output.FlushAsync();
        return await ReadUntilReadyAsync();
    }

    public async Task SendAsync(Action<IBufferWriter<byte>> write)
    {
        write(Output);
        await Output.FlushAsync();
    }

    /// <summary>Reads messages until ReadyForQuery, or until an error when the server then closes.</summary>
    public async Task<List<(char Code, byte[] Payload)>> ReadUntilReadyAsync()
    {
        var messages = new List<(char, byte[])>();
        while (true)
        {
            var message = await ReadAsync();
            messages.Add(message);
            if (message.Code is 'Z' or '\0')
            {
                return messages;
            }
        }
    }

    /// <summary>One message, or code '\0' when the server closed the connection.</summary>
    public async Task<(char Code, byte[] Payload)> ReadAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var result = await Input.ReadAsync(timeout.Token);
            if (MessageFramer.TryRead(result.Buffer, 1 << 24, out var message, out var consumed, out var examined))
            {
                var copy = ((char)message.Code, message.Payload.ToArray());
                Input.AdvanceTo(consumed, examined);
                return copy;
            }

            Input.AdvanceTo(consumed, examined);
            if (result.IsCompleted)
            {
                return ('\0', []);
            }
        }
    }

    /// <summary>Drops the connection with a TCP reset (linger 0), as a client whose host or network failed does.</summary>
    public void Reset()
    {
        _socket.LingerState = new LingerOption(true, 0);
        _socket.Close();
    }

    public async ValueTask DisposeAsync()
    {
        await Input.CompleteAsync();
        await Output.CompleteAsync();
        await _stream.DisposeAsync();
        _socket.Dispose();
    }
}
