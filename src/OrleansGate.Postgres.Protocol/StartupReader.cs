using System.Buffers;
using System.Diagnostics.CodeAnalysis;

namespace OrleansGate.Postgres.Protocol;

/// <summary>Reads the first packet of a connection, which has no code byte: Int32 length, Int32 code, body.</summary>
public static class StartupReader
{
    /// <summary>The smallest packet: the length field and the code.</summary>
    public const int MinLength = 8;

    /// <summary>The largest packet PostgreSQL accepts (MAX_STARTUP_PACKET_LENGTH).</summary>
    public const int MaxLength = 10_000;

    /// <summary>Protocol 3.0: major version in the high 16 bits, minor in the low.</summary>
    public const int ProtocolVersion3 = 3 << 16;

    /// <summary>The code of a CancelRequest (1234.5678).</summary>
    public const int CancelRequestCode = (1234 << 16) | 5678;

    /// <summary>The code of an SSLRequest (1234.5679).</summary>
    public const int SslRequestCode = (1234 << 16) | 5679;

    /// <summary>The code of a GSSENCRequest (1234.5680).</summary>
    public const int GssEncRequestCode = (1234 << 16) | 5680;

    private const int CancelRequestLength = 16;
    private const string MessageName = "startup packet";

    /// <summary>Reads one startup-phase packet if the buffer holds all of it.</summary>
    /// <returns><see langword="false"/> when more bytes are needed; then consumed is the start and examined the end.</returns>
    /// <exception cref="PgProtocolException">08P01 for a bad length, an unknown protocol or a malformed body.</exception>
    public static bool TryRead(
        in ReadOnlySequence<byte> buffer,
        [MaybeNullWhen(false)] out StartupPacket packet,
        out SequencePosition consumed,
        out SequencePosition examined)
    {
        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryReadBigEndian(out int length))
        {
            return Incomplete(buffer, out packet, out consumed, out examined);
        }

        // The length counts its own four bytes; checked before waiting for the body.
        // PostgreSQL reports both bounds as a protocol violation, so do we.
        if (length < MinLength || length > MaxLength)
        {
            throw PgProtocolException.Violation($"invalid length of startup packet: {length}");
        }

        if (!reader.TryReadBigEndian(out int code))
        {
            return Incomplete(buffer, out packet, out consumed, out examined);
        }

        // The size of the requests is fixed by their code, so a wrong one fails before the body is awaited.
        var kind = KindOf(code);
        var expected = kind switch
        {
            StartupPacketKind.SslRequest or StartupPacketKind.GssEncRequest => MinLength,
            StartupPacketKind.CancelRequest => CancelRequestLength,
            _ => length,
        };
        if (length != expected)
        {
            throw PgProtocolException.Violation($"invalid length of {NameOf(kind)}: {length}, expected {expected}");
        }

        if (kind == StartupPacketKind.StartupMessage && code >>> 16 != 3)
        {
            throw PgProtocolException.Violation(
                $"unsupported frontend protocol {code >>> 16}.{code & 0xFFFF}: only protocol 3 is supported");
        }

        if (buffer.Length < length)
        {
            return Incomplete(buffer, out packet, out consumed, out examined);
        }

        var end = buffer.GetPosition(length);
        var body = buffer.Slice(reader.Position, end);
        packet = kind switch
        {
            StartupPacketKind.CancelRequest => ReadCancel(body, code),
            StartupPacketKind.StartupMessage => StartupPacket.Startup(code, ReadParameters(body)),
            _ => StartupPacket.Request(kind, code),
        };
        consumed = end;
        examined = end;
        return true;
    }

    private static StartupPacketKind KindOf(int code) => code switch
    {
        SslRequestCode => StartupPacketKind.SslRequest,
        GssEncRequestCode => StartupPacketKind.GssEncRequest,
        CancelRequestCode => StartupPacketKind.CancelRequest,
        _ => StartupPacketKind.StartupMessage,
    };

    private static string NameOf(StartupPacketKind kind) => kind switch
    {
        StartupPacketKind.SslRequest => "SSLRequest",
        StartupPacketKind.GssEncRequest => "GSSENCRequest",
        StartupPacketKind.CancelRequest => "CancelRequest",
        _ => "StartupMessage",
    };

    private static StartupPacket ReadCancel(in ReadOnlySequence<byte> body, int code)
    {
        var reader = new PayloadReader(body, "CancelRequest");
        var processId = reader.ReadInt32("process id");
        var secretKey = reader.ReadInt32("secret key");
        reader.EnsureEnd();
        return StartupPacket.Cancel(code, processId, secretKey);
    }

    /// <summary>NUL-terminated name/value pairs, ended by an empty name (one extra NUL) that is the last byte.</summary>
    private static Dictionary<string, string> ReadParameters(in ReadOnlySequence<byte> body)
    {
        var reader = new PayloadReader(body, MessageName);
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        while (true)
        {
            if (reader.End)
            {
                throw PgProtocolException.Violation("invalid startup packet layout: expected terminator as last byte");
            }

            var name = reader.ReadCString("parameter name");
            if (name.Length == 0)
            {
                break;
            }

            var value = reader.ReadCString("parameter value");

            // Which of two values counts differs between implementations; refuse rather than guess.
            if (!parameters.TryAdd(name, value))
            {
                throw PgProtocolException.Violation("invalid startup packet: a parameter is given more than once");
            }
        }

        if (!reader.End)
        {
            throw PgProtocolException.Violation("invalid startup packet layout: expected terminator as last byte");
        }

        // PostgreSQL refuses an empty user name as well as a missing one; so do we.
        if (!parameters.TryGetValue("user", out var user) || user.Length == 0)
        {
            throw PgProtocolException.Violation("no PostgreSQL user name specified in startup packet");
        }

        return parameters;
    }

    private static bool Incomplete(
        in ReadOnlySequence<byte> buffer,
        [MaybeNullWhen(false)] out StartupPacket packet,
        out SequencePosition consumed,
        out SequencePosition examined)
    {
        packet = null;
        consumed = buffer.Start;
        examined = buffer.End;
        return false;
    }
}
