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

    /// <summary>"fuzz-answer:SEED:N": a mutation (number N of SEED) of a valid answer, then the connection closed.</summary>
    public const string FuzzAnswer = "fuzz-answer:";

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
                        var sql = Encoding.UTF8.GetString(body);
                        if (FuzzedAnswer(sql) is { } fuzzed)
                        {
                            // Closed after it: a mutated answer may lack its ReadyForQuery, and nobody should wait for one.
                            await stream.WriteAsync(fuzzed, _stop.Token);
                            return;
                        }

                        await stream.WriteAsync(Answer(sql), _stop.Token);
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

    /// <summary>Valid answers of a real server, which the fuzz mutates.</summary>
    private static readonly byte[][] FuzzSeeds =
    [
        Concat(
            Wire.Message('T', Wire.Int16(2), Wire.CString("id"), Wire.Int32(16384), Wire.Int16(1), Wire.Int32(23), Wire.Int16(4), Wire.Int32(-1), Wire.Int16(0),
                Wire.CString("name"), Wire.Int32(16384), Wire.Int16(2), Wire.Int32(25), Wire.Int16(-1), Wire.Int32(-1), Wire.Int16(0)),
            Wire.Message('D', Wire.Int16(2), Wire.Int32(1), "1"u8.ToArray(), Wire.Int32(-1)),
            Wire.Message('D', Wire.Int16(2), Wire.Int32(1), "2"u8.ToArray(), Wire.Int32(3), "Ada"u8.ToArray()),
            Wire.Message('C', Wire.CString("SELECT 2")),
            Ready('I')),
        Concat(
            Wire.Message('H', [0], Wire.Int16(2), Wire.Int16(0), Wire.Int16(0)),
            Wire.Message('d', "1\tAda\n"u8.ToArray()),
            Wire.Message('c'),
            Wire.Message('C', Wire.CString("COPY 1")),
            Ready('I')),
        Concat(
            Wire.Message('N', Wire.CString("SNOTICE"), Wire.CString("C00000"), Wire.CString("Mhello"), [0]),
            Wire.Message('S', Wire.CString("TimeZone"), Wire.CString("UTC")),
            Wire.Message('A', Wire.Int32(42), Wire.CString("jobs"), Wire.CString("payload")),
            Wire.Message('I'),
            Ready('T')),
        Concat(
            Wire.Message('E', Wire.CString("SERROR"), Wire.CString("C42P01"), Wire.CString("Mrelation does not exist"), [0]),
            Ready('E')),
    ];

    private static byte[]? FuzzedAnswer(string sql)
    {
        var at = sql.IndexOf(FuzzAnswer, StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }

        var parts = sql[(at + FuzzAnswer.Length)..].Split(':', '\'');
        var random = new Random(int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture) * 1_000_003 + int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
        return WireMutator.Mutate(random, FuzzSeeds[random.Next(FuzzSeeds.Length)]);
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
