using System.Buffers;

namespace OrleansGate.Postgres.Protocol;

/// <summary>Appends complete server messages, as the gateway sends them to the agent.</summary>
/// <remarks>Strings may not contain NUL (<see cref="ArgumentException"/>): it would end the field early.</remarks>
public static class BackendWriter
{
    public static void AuthenticationOk(IBufferWriter<byte> w) => Authentication(w, AuthenticationRequest.Ok);

    public static void AuthenticationCleartextPassword(IBufferWriter<byte> w) =>
        Authentication(w, AuthenticationRequest.CleartextPassword);

    public static void ParameterStatus(IBufferWriter<byte> w, string name, string value)
    {
        var length = checked(
            sizeof(int)                                                 // length, counts itself
            + PgEncoding.CStringByteCount(name, nameof(name))           // name + NUL
            + PgEncoding.CStringByteCount(value, nameof(value)));       // value + NUL
        var frame = FrameWriter.Begin(w, (byte)BackendMessageCode.ParameterStatus, length);
        frame.WriteCString(name);
        frame.WriteCString(value);
        frame.Complete();
    }

    public static void BackendKeyData(IBufferWriter<byte> w, int processId, int secretKey)
    {
        const int length =
            sizeof(int)         // length, counts itself
            + sizeof(int)       // process id
            + sizeof(int);      // secret key
        var frame = FrameWriter.Begin(w, (byte)BackendMessageCode.BackendKeyData, length);
        frame.WriteInt32(processId);
        frame.WriteInt32(secretKey);
        frame.Complete();
    }

    /// <param name="transactionStatus">A <see cref="PgTransactionStatus"/> value: 'I', 'T' or 'E'.</param>
    public static void ReadyForQuery(IBufferWriter<byte> w, byte transactionStatus)
    {
        if (!PgTransactionStatus.IsValid(transactionStatus))
        {
            throw new ArgumentOutOfRangeException(nameof(transactionStatus), transactionStatus, "Expected 'I', 'T' or 'E'.");
        }

        const int length =
            sizeof(int)         // length, counts itself
            + sizeof(byte);     // transaction status
        var frame = FrameWriter.Begin(w, (byte)BackendMessageCode.ReadyForQuery, length);
        frame.WriteByte(transactionStatus);
        frame.Complete();
    }

    /// <summary>ErrorResponse with fields S and V (both <paramref name="severity"/>), C, M, and D and H when given.</summary>
    /// <param name="severity">ERROR, FATAL or PANIC.</param>
    public static void ErrorResponse(
        IBufferWriter<byte> w,
        string severity,
        string sqlState,
        string message,
        string? detail = null,
        string? hint = null) =>
        Fields(w, BackendMessageCode.ErrorResponse, severity, sqlState, message, detail, hint);

    /// <summary>NoticeResponse; the same fields as <see cref="ErrorResponse"/>.</summary>
    /// <param name="severity">WARNING, NOTICE, DEBUG, INFO or LOG.</param>
    public static void NoticeResponse(
        IBufferWriter<byte> w,
        string severity,
        string sqlState,
        string message,
        string? detail = null,
        string? hint = null) =>
        Fields(w, BackendMessageCode.NoticeResponse, severity, sqlState, message, detail, hint);

    /// <summary>One unframed byte: the answer to SSLRequest ('S' or 'N') or GSSENCRequest ('G' or 'N').</summary>
    public static void SingleByte(IBufferWriter<byte> w, byte value)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.GetSpan(1)[0] = value;
        w.Advance(1);
    }

    /// <summary>NegotiateProtocolVersion: the newest minor version we speak and the startup options we ignored.</summary>
    public static void NegotiateProtocolVersion(IBufferWriter<byte> w, int newestMinorVersion, IReadOnlyList<string> unrecognizedOptions)
    {
        ArgumentNullException.ThrowIfNull(unrecognizedOptions);
        var length = checked(
            sizeof(int)                 // length, counts itself
            + sizeof(int)               // newest minor version supported
            + sizeof(int));             // count of unrecognized options
        foreach (var option in unrecognizedOptions)
        {
            length = checked(length + PgEncoding.CStringByteCount(option, nameof(unrecognizedOptions))); // option name + NUL
        }

        var frame = FrameWriter.Begin(w, (byte)BackendMessageCode.NegotiateProtocolVersion, length);
        frame.WriteInt32(newestMinorVersion);
        frame.WriteInt32(unrecognizedOptions.Count);
        foreach (var option in unrecognizedOptions)
        {
            frame.WriteCString(option);
        }

        frame.Complete();
    }

    private static void Authentication(IBufferWriter<byte> w, int type)
    {
        const int length =
            sizeof(int)         // length, counts itself
            + sizeof(int);      // authentication type
        var frame = FrameWriter.Begin(w, (byte)BackendMessageCode.Authentication, length);
        frame.WriteInt32(type);
        frame.Complete();
    }

    private static void Fields(
        IBufferWriter<byte> w,
        BackendMessageCode code,
        string severity,
        string sqlState,
        string message,
        string? detail,
        string? hint)
    {
        ArgumentNullException.ThrowIfNull(sqlState);
        if (sqlState.Length != 5)
        {
            throw new ArgumentException("A SQLSTATE has exactly five characters.", nameof(sqlState));
        }

        var length = checked(
            sizeof(int)                                                                     // length, counts itself
            + 1 + PgEncoding.CStringByteCount(severity, nameof(severity))                   // 'S' severity, localized
            + 1 + PgEncoding.CStringByteCount(severity, nameof(severity))                   // 'V' severity, never localized
            + 1 + PgEncoding.CStringByteCount(sqlState, nameof(sqlState))                   // 'C' SQLSTATE
            + 1 + PgEncoding.CStringByteCount(message, nameof(message))                     // 'M' message
            + (detail is null ? 0 : 1 + PgEncoding.CStringByteCount(detail, nameof(detail))) // 'D' detail, optional
            + (hint is null ? 0 : 1 + PgEncoding.CStringByteCount(hint, nameof(hint)))       // 'H' hint, optional
            + 1);                                                                           // zero byte ending the fields
        var frame = FrameWriter.Begin(w, (byte)code, length);
        WriteField(ref frame, 'S', severity);
        WriteField(ref frame, 'V', severity);
        WriteField(ref frame, 'C', sqlState);
        WriteField(ref frame, 'M', message);
        WriteField(ref frame, 'D', detail);
        WriteField(ref frame, 'H', hint);
        frame.WriteByte(0);
        frame.Complete();
    }

    private static void WriteField(ref FrameWriter frame, char code, string? value)
    {
        if (value is null)
        {
            return;
        }

        frame.WriteByte((byte)code);
        frame.WriteCString(value);
    }
}
