using System.Buffers.Binary;

namespace OrleansGate.Edge.Http;

/// <summary>
/// The header of one WebSocket frame (RFC 6455 §5.2): FIN, the three reserved bits, the opcode, the mask bit, the payload
/// length (7 bits, or 126 then 16 bits, or 127 then 64 bits, big-endian) and the masking key if the mask bit is set.
/// </summary>
/// <param name="Reserved">RSV1-3 as the low three bits; non-zero only with an extension (permessage-deflate sets RSV1).</param>
/// <param name="PayloadLength">Negative when the 64-bit length has its high bit set, which RFC 6455 forbids.</param>
/// <param name="Length">The header's own length in bytes, 2 to 14.</param>
public readonly record struct WebSocketFrameHeader(bool Fin, int Reserved, WebSocketOpcode Opcode, bool Masked, long PayloadLength, int Length)
{
    public const int MaxLength = 14;

    /// <summary>Close, ping and pong: never fragmented, at most 125 bytes of payload.</summary>
    public bool IsControl => ((byte)Opcode & 0x8) != 0;

    public bool IsKnownOpcode => Opcode is WebSocketOpcode.Continuation or WebSocketOpcode.Text or WebSocketOpcode.Binary
        or WebSocketOpcode.Close or WebSocketOpcode.Ping or WebSocketOpcode.Pong;

    /// <summary>Reads the header at the start of <paramref name="buffer"/>; false when it is not all there yet.</summary>
    public static bool TryRead(ReadOnlySpan<byte> buffer, out WebSocketFrameHeader header)
    {
        header = default;
        if (buffer.Length < 2)
        {
            return false;
        }

        var length7 = buffer[1] & 0x7F;
        var masked = (buffer[1] & 0x80) != 0;
        var extended = length7 switch { 126 => 2, 127 => 8, _ => 0 };
        var length = 2 + extended + (masked ? 4 : 0);
        if (buffer.Length < length)
        {
            return false;
        }

        var payload = length7 switch
        {
            126 => BinaryPrimitives.ReadUInt16BigEndian(buffer[2..]),
            127 => (long)BinaryPrimitives.ReadUInt64BigEndian(buffer[2..]), // the high bit must be 0: negative here
            _ => length7,
        };
        header = new WebSocketFrameHeader((buffer[0] & 0x80) != 0, (buffer[0] >> 4) & 0x7, (WebSocketOpcode)(buffer[0] & 0x0F), masked, payload, length);
        return true;
    }

    /// <summary>Writes the header of a final, unmasked frame (as a server sends) in the shortest length encoding; returns its length.</summary>
    public static int WriteServerFrame(Span<byte> dest, WebSocketOpcode opcode, int payloadLength)
    {
        dest[0] = (byte)(0x80 | (byte)opcode); // FIN, no reserved bits
        if (payloadLength <= 125)
        {
            dest[1] = (byte)payloadLength; // mask bit 0: server frames are not masked
            return 2;
        }

        if (payloadLength <= ushort.MaxValue)
        {
            dest[1] = 126;
            BinaryPrimitives.WriteUInt16BigEndian(dest[2..], (ushort)payloadLength);
            return 4;
        }

        dest[1] = 127;
        BinaryPrimitives.WriteUInt64BigEndian(dest[2..], (ulong)payloadLength);
        return 10;
    }
}
