using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using OrleansGate.IntegrationTests.Fixtures;

namespace OrleansGate.IntegrationTests.Protocol;

/// <summary>A raw socket to a gateway listener: sends any bytes, reads framed messages, can half-close.</summary>
internal sealed class WireClient : IAsyncDisposable
{
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(30);
    private readonly TcpClient _tcp;
    private readonly Stream _stream;

    private WireClient(TcpClient tcp, Stream? stream = null)
    {
        _tcp = tcp;
        _stream = stream ?? tcp.GetStream();
    }

    /// <summary>The cancel key the gateway issued at login (BackendKeyData).</summary>
    public (int ProcessId, int SecretKey) CancelKey { get; private set; }

    public static async Task<WireClient> ConnectAsync(int port)
    {
        var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync("127.0.0.1", port);
        return new WireClient(tcp);
    }

    /// <summary>Connects, asks for TLS (SSLRequest) and runs the handshake, trusting any certificate (the tests' own CA).</summary>
    public static async Task<WireClient> ConnectTlsAsync(int port)
    {
        var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync("127.0.0.1", port);
        var plain = tcp.GetStream();
        await plain.WriteAsync(Wire.Packet(Wire.Int32((1234 << 16) | 5679)));
        var answer = new byte[1];
        await plain.ReadExactlyAsync(answer);
        Assert.Equal((byte)'S', answer[0]);
        var tls = new System.Net.Security.SslStream(plain, leaveInnerStreamOpen: false, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync(new System.Net.Security.SslClientAuthenticationOptions { TargetHost = "localhost" });
        return new WireClient(tcp, tls);
    }

    /// <summary>Connects (over TLS when <paramref name="tls"/>) and logs in; fails the test unless the login reaches ReadyForQuery.</summary>
    public static async Task<WireClient> LoginAsync(int port, string token, string database = GatewaySettings.TargetName, bool tls = false)
    {
        var client = tls ? await ConnectTlsAsync(port) : await ConnectAsync(port);
        await client.SendAsync(Wire.Startup("user", GatewaySettings.AgentClientId, "database", database));
        var auth = await client.ReadAsync();
        Assert.True(auth.Code == 'R', $"expected an authentication request, got '{auth.Code}' {Encoding.UTF8.GetString(auth.Payload)}");
        await client.SendAsync(Wire.Message('p', Wire.CString(token)));
        var messages = await client.ReadUntilReadyAsync();
        Assert.True(messages[^1].Code == 'Z', $"login failed: {Encoding.UTF8.GetString(messages[^1].Payload)}");
        var key = Assert.Single(messages, m => m.Code == 'K').Payload;
        client.CancelKey = (BinaryPrimitives.ReadInt32BigEndian(key), BinaryPrimitives.ReadInt32BigEndian(key.AsSpan(4)));
        return client;
    }

    /// <summary>Sends a CancelRequest on a connection of its own; returns once the gateway has handled it and closed that connection.</summary>
    public static async Task SendCancelAsync(int port, int processId, int secretKey)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Wire.Packet(Wire.Int32((1234 << 16) | 5678), Wire.Int32(processId), Wire.Int32(secretKey)));

        // The gateway answers a CancelRequest by closing the connection, never with data.
        var buffer = new byte[1];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Assert.Equal(0, await stream.ReadAsync(buffer, timeout.Token));
    }

    public async Task SendAsync(byte[] bytes) => await _stream.WriteAsync(bytes);

    /// <summary>Sends each byte in a TCP write of its own (no Nagle delay), so the gateway sees the smallest segments.</summary>
    public async Task SendOneByteAtATimeAsync(byte[] bytes)
    {
        for (var i = 0; i < bytes.Length; i++)
        {
            await _stream.WriteAsync(bytes.AsMemory(i, 1));
        }
    }

    /// <summary>Closes our sending side only, so the gateway sees end-of-stream and can still answer.</summary>
    public void ShutdownSend() => _tcp.Client.Shutdown(SocketShutdown.Send);

    /// <summary>One message, or code '\0' when the gateway closed the connection (or reset it).</summary>
    public async Task<(char Code, byte[] Payload)> ReadAsync()
    {
        using var timeout = new CancellationTokenSource(ReadTimeout);
        try
        {
            var header = new byte[5];
            var read = await _stream.ReadAtLeastAsync(header, 5, throwOnEndOfStream: false, timeout.Token);
            if (read < 5)
            {
                return ('\0', []);
            }

            var payload = new byte[BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(1)) - 4];
            await _stream.ReadExactlyAsync(payload, timeout.Token);
            return ((char)header[0], payload);
        }
        catch (IOException)
        {
            return ('\0', []);
        }
    }

    /// <summary>One byte (an SSLRequest or GSSENCRequest answer), or -1 when the gateway closed the connection.</summary>
    public async Task<int> ReadByteAsync()
    {
        using var timeout = new CancellationTokenSource(ReadTimeout);
        var one = new byte[1];
        try
        {
            return await _stream.ReadAsync(one, timeout.Token) == 1 ? one[0] : -1;
        }
        catch (IOException)
        {
            return -1;
        }
    }

    /// <summary>Everything the gateway sends until it closes the connection.</summary>
    public async Task<byte[]> ReadToEndAsync()
    {
        using var timeout = new CancellationTokenSource(ReadTimeout);
        using var all = new MemoryStream();
        try
        {
            await _stream.CopyToAsync(all, timeout.Token);
        }
        catch (IOException)
        {
            // A reset ends the stream as well.
        }

        return all.ToArray();
    }

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

    /// <summary>Reads until an ErrorResponse and returns its SQLSTATE; null if the connection closed first.</summary>
    public async Task<Dictionary<char, string>?> ReadErrorAsync()
    {
        while (true)
        {
            var message = await ReadAsync();
            if (message.Code == '\0')
            {
                return null;
            }

            if (message.Code == 'E')
            {
                return Wire.Fields(message.Payload);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _tcp.Dispose();
    }
}
