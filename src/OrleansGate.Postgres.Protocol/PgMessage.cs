using System.Buffers;

namespace OrleansGate.Postgres.Protocol;

/// <summary>One framed message after startup: a code byte, an Int32 length that counts itself, and the payload.</summary>
/// <remarks>
/// <see cref="Payload"/> and <see cref="Raw"/> are slices of the buffer the message was read from; they are
/// valid only until the reader advances past them.
/// </remarks>
public readonly struct PgMessage
{
    internal PgMessage(byte code, int length, ReadOnlySequence<byte> payload, ReadOnlySequence<byte> raw)
    {
        Code = code;
        Length = length;
        Payload = payload;
        Raw = raw;
    }

    /// <summary>The message code, a <see cref="FrontendMessageCode"/> or <see cref="BackendMessageCode"/> by direction.</summary>
    public byte Code { get; }

    /// <summary>The length as on the wire: it includes its own four bytes but not the code byte.</summary>
    public int Length { get; }

    /// <summary>The <c>Length - 4</c> bytes after the length field.</summary>
    public ReadOnlySequence<byte> Payload { get; }

    /// <summary>All <c>1 + Length</c> bytes, for forwarding the message unchanged.</summary>
    public ReadOnlySequence<byte> Raw { get; }
}
