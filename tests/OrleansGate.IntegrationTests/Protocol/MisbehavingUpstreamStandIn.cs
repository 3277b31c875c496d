using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace OrleansGate.IntegrationTests.Protocol;

/// <summary>
/// A stand-in for a PostgreSQL server that breaks the protocol on request. A real PostgreSQL never sends
/// malformed messages, so this is the only way to test the gateway's handling of a hostile or broken upstream.
/// </summary>
/// <remarks>
/// Logs in anyone (AuthenticationOk). Each simple Query is answered by the behaviour whose name its text
/// contains; any other query gets one well-formed row, so a session that is not asked to misbehave works.
/// </remarks>
public sealed class MisbehavingUpstreamStandIn : IAsyncDisposable
{
    public const string ErrorWithoutSqlState = "error-without-sqlstate";
    public const string NegativeFieldLength = "datarow-negative-length";
    public const string OversizeFieldLength = "datarow-oversize-field";
    public const string AuthenticationMidSession = "authentication-mid-session";
    public const string BackendKeyMidSession = "backend-key-mid-session";
    public const string UnknownMessageType = "unknown-message-type";
    public const string OversizeMessage = "oversize-message";
    public const string BadReadyStatus = "bad-ready-status";
    public const string RowDescriptionOverrun = "rowdescription-overrun";
    public const string CommandCompleteTrailing = "commandcomplete-trailing";
    public const string CopyOutBadFormat = "copyout-bad-format";
    public const string UnrequestedParseComplete = "unrequested-parsecomplete";
    public const string CopyInAfterReady = "copyin-after-ready";

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    private MisbehavingUpstreamStandIn()
    {
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public static MisbehavingUpstreamStandIn Start() => new();

    private async Task AcceptAsync()
    {
        var sessions = new List<Task>();
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptSocketAsync(_stop.Token);
                sessions.Add(ServeAsync(socket));
            }
        }
        catch (OperationCanceledException)
        {
        }

        await Task.WhenAll(sessions);
    }

    private async Task ServeAsync(Socket socket)
    {
        await using var stream = new NetworkStream(socket, ownsSocket: true);
        try
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(await ReadExactlyAsync(stream, 4));
            await ReadExactlyAsync(stream, length - 4);
            await stream.WriteAsync(Concat(
                Wire.Message('R', Wire.Int32(0)),
                Wire.Message('S', Wire.CString("server_version"), Wire.CString("15.0 (stand-in)")),
                Wire.Message('K', Wire.Int32(1), Wire.Int32(2)),
                Ready('I')), _stop.Token);

            while (true)
            {
                var header = await ReadExactlyAsync(stream, 5);
                var body = await ReadExactlyAsync(stream, BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(1)) - 4);
                switch ((char)header[0])
                {
                    case 'X':
                        return;
                    case 'Q':
                        await stream.WriteAsync(Answer(Encoding.UTF8.GetString(body)), _stop.Token);
                        break;
                    default:
                        await stream.WriteAsync(Concat(
                            Wire.Message('E', Wire.CString("SERROR"), Wire.CString("C0A000"), Wire.CString("Mthe stand-in speaks only the simple protocol"), [0]),
                            Ready('I')), _stop.Token);
                        break;
                }
            }
        }
        catch (Exception e) when (e is IOException or EndOfStreamException or OperationCanceledException or SocketException)
        {
            // The gateway closed the session, which is what the tests provoke.
        }
    }

    private static byte[] Answer(string sql)
    {
        var row = Wire.Message('T', Wire.Int16(1), Wire.CString("value"), Wire.Int32(0), Wire.Int16(0), Wire.Int32(25), Wire.Int16(-1), Wire.Int32(-1), Wire.Int16(0));
        if (sql.Contains(ErrorWithoutSqlState, StringComparison.Ordinal))
        {
            return Concat(Wire.Message('E', Wire.CString("SERROR"), Wire.CString("Msomething failed"), [0]), Ready('I'));
        }

        if (sql.Contains(NegativeFieldLength, StringComparison.Ordinal))
        {
            return Concat(row, Wire.Message('D', Wire.Int16(1), Wire.Int32(-7), [0x41, 0x42]), Ready('I'));
        }

        if (sql.Contains(OversizeFieldLength, StringComparison.Ordinal))
        {
            // The field claims 1 MiB inside a message that holds 2 bytes of it.
            return Concat(row, Wire.Message('D', Wire.Int16(1), Wire.Int32(1 << 20), [0x41, 0x42]), Ready('I'));
        }

        if (sql.Contains(AuthenticationMidSession, StringComparison.Ordinal))
        {
            return Wire.Message('R', Wire.Int32(3));
        }

        if (sql.Contains(BackendKeyMidSession, StringComparison.Ordinal))
        {
            return Concat(Wire.Message('K', Wire.Int32(3), Wire.Int32(4)), Ready('I'));
        }

        if (sql.Contains(UnknownMessageType, StringComparison.Ordinal))
        {
            return Concat(Wire.Message('~', [1, 2, 3]), Ready('I'));
        }

        if (sql.Contains(OversizeMessage, StringComparison.Ordinal))
        {
            // Only the header: the gateway must refuse it from the length field, before buffering the body.
            return Wire.Header('D', int.MaxValue);
        }

        if (sql.Contains(BadReadyStatus, StringComparison.Ordinal))
        {
            return Concat(Wire.Message('C', Wire.CString("SELECT 0")), Ready('?'));
        }

        if (sql.Contains(RowDescriptionOverrun, StringComparison.Ordinal))
        {
            // Three fields announced, one described: a client would read the next message as the other two.
            return Concat(
                Wire.Message('T', Wire.Int16(3), Wire.CString("value"), Wire.Int32(0), Wire.Int16(0), Wire.Int32(25), Wire.Int16(-1), Wire.Int32(-1), Wire.Int16(0)),
                Ready('I'));
        }

        if (sql.Contains(CommandCompleteTrailing, StringComparison.Ordinal))
        {
            return Concat(Wire.Message('C', Wire.CString("SELECT 0"), Wire.CString("DELETE 5")), Ready('I'));
        }

        if (sql.Contains(CopyOutBadFormat, StringComparison.Ordinal))
        {
            return Wire.Message('H', [0], Wire.Int16(1), Wire.Int16(9));
        }

        if (sql.Contains(UnrequestedParseComplete, StringComparison.Ordinal))
        {
            // A simple Query sends no Parse: a client would take this as the answer to a later Parse of its own.
            return Concat(Wire.Message('1'), row, Wire.Message('C', Wire.CString("SELECT 0")), Ready('I'));
        }

        if (sql.Contains(CopyInAfterReady, StringComparison.Ordinal))
        {
            // A complete answer, then COPY FROM STDIN that no request started.
            return Concat(row, Wire.Message('C', Wire.CString("SELECT 0")), Ready('I'), Wire.Message('G', [0], Wire.Int16(0)));
        }

        return Concat(row, Wire.Message('D', Wire.Int16(1), Wire.Int32(2), "ok"u8.ToArray()), Wire.Message('C', Wire.CString("SELECT 1")), Ready('I'));
    }

    private static byte[] Ready(char status) => Wire.Message('Z', [(byte)status]);

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];

    private async Task<byte[]> ReadExactlyAsync(Stream stream, int count)
    {
        var buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer, _stop.Token);
        return buffer;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
