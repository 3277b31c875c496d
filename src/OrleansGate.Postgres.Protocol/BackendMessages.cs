using System.Buffers;

namespace OrleansGate.Postgres.Protocol;

/// <summary>Decoders for the payloads of server messages the gateway acts on (<see cref="PgMessage.Payload"/>).</summary>
/// <remarks>As in <see cref="FrontendMessages"/>, each decoder consumes the whole payload or throws 08P01.</remarks>
public static class BackendMessages
{
    private const int Md5SaltLength = 4;

    /// <summary>Authentication ('R'): Int32 type, then what that type carries.</summary>
    public static AuthenticationRequest ReadAuthentication(in ReadOnlySequence<byte> payload)
    {
        var reader = new PayloadReader(payload, "Authentication");
        var type = reader.ReadInt32("authentication type");
        switch (type)
        {
            case AuthenticationRequest.Ok:
            case AuthenticationRequest.CleartextPassword:
                reader.EnsureEnd();
                return new AuthenticationRequest(type, [], []);

            case AuthenticationRequest.Md5:
                var salt = reader.ReadBytes(Md5SaltLength, "salt");
                reader.EnsureEnd();
                return new AuthenticationRequest(type, salt, []);

            case AuthenticationRequest.Sasl:
                return new AuthenticationRequest(type, [], ReadMechanisms(ref reader));

            default:
                // SASLContinue/SASLFinal data, GSS/SSPI tokens and types we do not know: the bytes as sent.
                return new AuthenticationRequest(type, reader.ReadRemaining(), []);
        }
    }

    /// <summary>ErrorResponse ('E') or NoticeResponse ('N'): fields as a code byte and a string, ended by a zero byte.</summary>
    /// <remarks>
    /// Values are decoded leniently: an error raised before client_encoding applies may be in the server's
    /// encoding, and losing a character is better than losing the error.
    /// </remarks>
    public static IReadOnlyDictionary<char, string> ReadErrorOrNotice(in ReadOnlySequence<byte> payload)
    {
        var reader = new PayloadReader(payload, "ErrorResponse/NoticeResponse");
        var fields = new Dictionary<char, string>();
        while (true)
        {
            var code = reader.ReadByte("field type");
            if (code == 0)
            {
                break;
            }

            var value = reader.ReadCStringLenient("field value");
            if (!fields.TryAdd((char)code, value))
            {
                throw PgProtocolException.Violation("invalid ErrorResponse/NoticeResponse message: a field is repeated");
            }
        }

        reader.EnsureEnd();
        return fields;
    }

    /// <summary>
    /// ErrorResponse ('E') as the gateway relays it: the fields, which must include a five-character SQLSTATE
    /// ('C') and a message ('M').
    /// </summary>
    /// <remarks>PostgreSQL always sends both; without them a client cannot tell what failed, so the error is refused.</remarks>
    public static IReadOnlyDictionary<char, string> ReadError(in ReadOnlySequence<byte> payload)
    {
        var fields = ReadErrorOrNotice(payload);
        if (!fields.TryGetValue('C', out var sqlState) || sqlState.Length != 5)
        {
            throw PgProtocolException.Violation("invalid ErrorResponse message: no SQLSTATE");
        }

        if (!fields.ContainsKey('M'))
        {
            throw PgProtocolException.Violation("invalid ErrorResponse message: no message text");
        }

        return fields;
    }

    /// <summary>
    /// Checks a DataRow ('D') without copying it: Int16 column count, then per column an Int32 length (-1 = NULL)
    /// and that many bytes, filling the payload exactly.
    /// </summary>
    /// <returns>The number of columns.</returns>
    public static int ValidateDataRow(in ReadOnlySequence<byte> payload) => ReadDataRow(payload, null);

    /// <summary>A DataRow ('D') in text format, for the gateway's own queries: each value as UTF-8 text, or null.</summary>
    public static string?[] ReadTextDataRow(in ReadOnlySequence<byte> payload)
    {
        var values = new List<string?>();
        ReadDataRow(payload, values);
        return [.. values];
    }

    /// <summary>Walks a DataRow; with <paramref name="values"/>, decodes each value into it, else only skips it.</summary>
    private static int ReadDataRow(in ReadOnlySequence<byte> payload, List<string?>? values)
    {
        var reader = new PayloadReader(payload, "DataRow");
        var count = reader.ReadCount16("column count");
        reader.EnsureAvailable(count * (long)sizeof(int), "column count");
        values?.EnsureCapacity(count);
        for (var i = 0; i < count; i++)
        {
            var length = reader.ReadInt32("column length");
            if (length < -1)
            {
                throw PgProtocolException.Violation($"invalid DataRow message: column length {length}");
            }

            if (values is null)
            {
                reader.Skip(Math.Max(length, 0), "column value");
            }
            else
            {
                values.Add(length == -1 ? null : reader.ReadText(length, "column value"));
            }
        }

        reader.EnsureEnd();
        return count;
    }

    /// <summary>NotificationResponse ('A'): Int32 process id of the notifier, channel, payload.</summary>
    public static (int ProcessId, string Channel, string Payload) ReadNotification(in ReadOnlySequence<byte> payload)
    {
        var reader = new PayloadReader(payload, "NotificationResponse");
        var processId = reader.ReadInt32("process id");
        var channel = reader.ReadCStringLenient("channel");
        var text = reader.ReadCStringLenient("payload");
        reader.EnsureEnd();
        return (processId, channel, text);
    }

    /// <summary>ParameterStatus ('S'): name and value of a run-time parameter.</summary>
    public static (string Name, string Value) ReadParameterStatus(in ReadOnlySequence<byte> payload)
    {
        var reader = new PayloadReader(payload, "ParameterStatus");
        var name = reader.ReadCString("name");
        var value = reader.ReadCString("value");
        reader.EnsureEnd();
        return (name, value);
    }

    /// <summary>BackendKeyData ('K'): process id and a 4-byte secret key (protocol 3.0; 3.2's longer keys are refused).</summary>
    public static (int ProcessId, int SecretKey) ReadBackendKeyData(in ReadOnlySequence<byte> payload)
    {
        var reader = new PayloadReader(payload, "BackendKeyData");
        var processId = reader.ReadInt32("process id");
        var secretKey = reader.ReadInt32("secret key");
        reader.EnsureEnd();
        return (processId, secretKey);
    }

    /// <summary>
    /// CommandComplete ('C'): the row count at the end of its tag (<c>SELECT 5</c>, <c>INSERT 0 3</c>, <c>UPDATE 2</c>),
    /// or null for a tag without one (<c>CREATE TABLE</c>). Read from the bytes: no string per statement.
    /// </summary>
    public static long? ReadCommandCompleteCount(in ReadOnlySequence<byte> payload)
    {
        Span<byte> copy = stackalloc byte[64];
        scoped ReadOnlySpan<byte> tag;
        if (payload.IsSingleSegment)
        {
            tag = payload.FirstSpan;
        }
        else if (payload.Length <= copy.Length)
        {
            payload.CopyTo(copy);
            tag = copy[..(int)payload.Length];
        }
        else
        {
            return null; // no row-count tag is this long
        }

        var end = tag.IndexOf((byte)0);
        tag = end >= 0 ? tag[..end] : tag;
        var space = tag.LastIndexOf((byte)' ');
        var digits = tag[(space + 1)..];
        return space >= 0 && System.Buffers.Text.Utf8Parser.TryParse(digits, out long count, out var used) && used == digits.Length ? count : null;
    }

    /// <summary>ReadyForQuery ('Z'): 'I' idle, 'T' in a transaction, 'E' in a failed transaction.</summary>
    public static byte ReadReadyForQuery(in ReadOnlySequence<byte> payload)
    {
        var reader = new PayloadReader(payload, "ReadyForQuery");
        var status = reader.ReadByte("transaction status");
        reader.EnsureEnd();
        if (!PgTransactionStatus.IsValid(status))
        {
            throw PgProtocolException.Violation("invalid ReadyForQuery message: unknown transaction status");
        }

        return status;
    }

    /// <summary>Mechanism names, each NUL-terminated, ended by an empty name that is the last byte.</summary>
    private static string[] ReadMechanisms(ref PayloadReader reader)
    {
        var mechanisms = new List<string>();
        while (true)
        {
            var mechanism = reader.ReadCString("SASL mechanism");
            if (mechanism.Length == 0)
            {
                break;
            }

            mechanisms.Add(mechanism);
        }

        reader.EnsureEnd();
        return [.. mechanisms];
    }
}
