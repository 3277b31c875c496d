using System.Buffers;

namespace OrleansGate.Postgres.Protocol;

/// <summary>Appends complete client messages, as the gateway sends them to the upstream PostgreSQL.</summary>
/// <remarks>Strings may not contain NUL (<see cref="ArgumentException"/>): it would end the field early.</remarks>
public static class FrontendWriter
{
    /// <summary>StartupMessage for protocol 3.0; the parameters should include "user".</summary>
    /// <exception cref="ArgumentException">An empty or repeated name, or a packet over <see cref="StartupReader.MaxLength"/>.</exception>
    public static void StartupMessage(IBufferWriter<byte> w, IEnumerable<KeyValuePair<string, string>> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);

        // Enumerated once: the length is summed before anything is written.
        var pairs = parameters.ToArray();
        var names = new HashSet<string>(StringComparer.Ordinal);
        var length = checked(
            sizeof(int)                 // length, counts itself
            + sizeof(int)               // protocol version
            + 1);                       // zero byte ending the parameters
        foreach (var (name, value) in pairs)
        {
            if (string.IsNullOrEmpty(name) || !names.Add(name))
            {
                throw new ArgumentException("Startup parameter names must be non-empty and distinct.", nameof(parameters));
            }

            length = checked(
                length
                + PgEncoding.CStringByteCount(name, nameof(parameters))     // name + NUL
                + PgEncoding.CStringByteCount(value, nameof(parameters)));  // value + NUL
        }

        // PostgreSQL drops the connection on a longer startup packet.
        if (length > StartupReader.MaxLength)
        {
            throw new ArgumentException($"The startup packet would be {length} bytes; PostgreSQL accepts at most {StartupReader.MaxLength}.", nameof(parameters));
        }

        var frame = FrameWriter.BeginUntyped(w, length);
        frame.WriteInt32(StartupReader.ProtocolVersion3);
        foreach (var (name, value) in pairs)
        {
            frame.WriteCString(name);
            frame.WriteCString(value);
        }

        frame.WriteByte(0);
        frame.Complete();
    }

    /// <summary>SSLRequest: ask the upstream to switch to TLS; it answers with one byte, 'S' or 'N'.</summary>
    public static void SslRequest(IBufferWriter<byte> w)
    {
        const int length =
            sizeof(int)         // length, counts itself
            + sizeof(int);      // SSLRequest code
        var frame = FrameWriter.BeginUntyped(w, length);
        frame.WriteInt32(StartupReader.SslRequestCode);
        frame.Complete();
    }

    /// <summary>PasswordMessage with a cleartext password or an MD5 hash (<see cref="Md5Password"/>).</summary>
    public static void PasswordMessage(IBufferWriter<byte> w, string password)
    {
        var length = checked(
            sizeof(int)                                                     // length, counts itself
            + PgEncoding.CStringByteCount(password, nameof(password)));     // password + NUL
        var frame = FrameWriter.Begin(w, (byte)FrontendMessageCode.PasswordMessage, length);
        frame.WriteCString(password);
        frame.Complete();
    }

    /// <summary>SASLInitialResponse: the chosen mechanism and the client-first message.</summary>
    public static void SaslInitialResponse(IBufferWriter<byte> w, string mechanism, ReadOnlySpan<byte> data)
    {
        var length = checked(
            sizeof(int)                                                     // length, counts itself
            + PgEncoding.CStringByteCount(mechanism, nameof(mechanism))     // mechanism + NUL
            + sizeof(int)                                                   // data length
            + data.Length);                                                 // data
        var frame = FrameWriter.Begin(w, (byte)FrontendMessageCode.PasswordMessage, length);
        frame.WriteCString(mechanism);
        frame.WriteInt32(data.Length);
        frame.WriteBytes(data);
        frame.Complete();
    }

    /// <summary>SASLResponse: the next client message of the exchange (for SCRAM, the client-final message).</summary>
    public static void SaslResponse(IBufferWriter<byte> w, ReadOnlySpan<byte> data)
    {
        var length = checked(
            sizeof(int)                 // length, counts itself
            + data.Length);             // data, to the end of the message
        var frame = FrameWriter.Begin(w, (byte)FrontendMessageCode.PasswordMessage, length);
        frame.WriteBytes(data);
        frame.Complete();
    }

    public static void Terminate(IBufferWriter<byte> w)
    {
        const int length = sizeof(int); // length, counts itself; no payload
        var frame = FrameWriter.Begin(w, (byte)FrontendMessageCode.Terminate, length);
        frame.Complete();
    }

    /// <summary>Query: simple-protocol SQL text.</summary>
    public static void Query(IBufferWriter<byte> w, string sql)
    {
        var length = checked(
            sizeof(int)                                         // length, counts itself
            + PgEncoding.CStringByteCount(sql, nameof(sql)));   // SQL + NUL
        var frame = FrameWriter.Begin(w, (byte)FrontendMessageCode.Query, length);
        frame.WriteCString(sql);
        frame.Complete();
    }

    /// <summary>CancelRequest, sent on a new connection instead of a StartupMessage.</summary>
    public static void CancelRequest(IBufferWriter<byte> w, int processId, int secretKey)
    {
        const int length =
            sizeof(int)         // length, counts itself
            + sizeof(int)       // CancelRequest code
            + sizeof(int)       // process id
            + sizeof(int);      // secret key
        var frame = FrameWriter.BeginUntyped(w, length);
        frame.WriteInt32(StartupReader.CancelRequestCode);
        frame.WriteInt32(processId);
        frame.WriteInt32(secretKey);
        frame.Complete();
    }

    /// <summary>Parse without parameter types: the upstream infers them.</summary>
    public static void Parse(IBufferWriter<byte> w, string statementName, string sql)
    {
        var length = checked(
            sizeof(int)                                                         // length, counts itself
            + PgEncoding.CStringByteCount(statementName, nameof(statementName)) // statement name + NUL
            + PgEncoding.CStringByteCount(sql, nameof(sql))                     // query text + NUL
            + sizeof(short));                                                   // parameter type count (0)
        var frame = FrameWriter.Begin(w, (byte)FrontendMessageCode.Parse, length);
        frame.WriteCString(statementName);
        frame.WriteCString(sql);
        frame.WriteInt16(0);
        frame.Complete();
    }

    /// <summary>Flush: the target sends what it has buffered, without ending the cycle.</summary>
    public static void Flush(IBufferWriter<byte> w)
    {
        const int length = sizeof(int); // length, counts itself; no payload
        var frame = FrameWriter.Begin(w, (byte)FrontendMessageCode.Flush, length);
        frame.Complete();
    }

    /// <summary>CopyFail: the COPY FROM STDIN in progress fails with <paramref name="reason"/>.</summary>
    public static void CopyFail(IBufferWriter<byte> w, string reason)
    {
        var length = checked(sizeof(int) + PgEncoding.CStringByteCount(reason, nameof(reason)));
        var frame = FrameWriter.Begin(w, (byte)FrontendMessageCode.CopyFail, length);
        frame.WriteCString(reason);
        frame.Complete();
    }

    /// <summary>Describe of a portal (<c>'P'</c>) or a prepared statement (<c>'S'</c>).</summary>
    public static void Describe(IBufferWriter<byte> w, byte kind, string name)
    {
        var length = checked(sizeof(int) + 1 + PgEncoding.CStringByteCount(name, nameof(name)));
        var frame = FrameWriter.Begin(w, (byte)FrontendMessageCode.Describe, length);
        frame.WriteByte(kind);
        frame.WriteCString(name);
        frame.Complete();
    }
}
