using System.Buffers;
using System.Buffers.Binary;

namespace OrleansGate.Postgres.Protocol;

/// <summary>Writes one message into a span taken from an <see cref="IBufferWriter{T}"/> and commits it whole.</summary>
/// <remarks>
/// The caller sums the length first; <see cref="Complete"/> checks that exactly that many bytes were written,
/// so a miscounted field fails here instead of desynchronising the peer.
/// </remarks>
internal ref struct FrameWriter
{
    private readonly IBufferWriter<byte> _output;
    private readonly Span<byte> _span;
    private int _position;

    private FrameWriter(IBufferWriter<byte> output, int size)
    {
        _output = output;
        _span = output.GetSpan(size)[..size];
        _position = 0;
    }

    /// <summary>Starts a message with a code byte; <paramref name="length"/> counts itself but not the code.</summary>
    public static FrameWriter Begin(IBufferWriter<byte> output, byte code, int length)
    {
        ArgumentNullException.ThrowIfNull(output);
        var writer = new FrameWriter(output, checked(1 + length));
        writer.WriteByte(code);
        writer.WriteInt32(length);
        return writer;
    }

    /// <summary>Starts a startup-phase packet, which has no code byte; <paramref name="length"/> counts itself.</summary>
    public static FrameWriter BeginUntyped(IBufferWriter<byte> output, int length)
    {
        ArgumentNullException.ThrowIfNull(output);
        var writer = new FrameWriter(output, length);
        writer.WriteInt32(length);
        return writer;
    }

    public void WriteByte(byte value) => _span[_position++] = value;

    public void WriteInt16(short value)
    {
        BinaryPrimitives.WriteInt16BigEndian(_span[_position..], value);
        _position += sizeof(short);
    }

    public void WriteInt32(int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(_span[_position..], value);
        _position += sizeof(int);
    }

    /// <summary>The string as UTF-8 and a NUL; the caller counted it with <see cref="PgEncoding.CStringByteCount"/>.</summary>
    public void WriteCString(string value)
    {
        _position += PgEncoding.Lenient.GetBytes(value, _span[_position..]);
        _span[_position++] = 0;
    }

    public void WriteBytes(ReadOnlySpan<byte> value)
    {
        value.CopyTo(_span[_position..]);
        _position += value.Length;
    }

    public readonly void Complete()
    {
        if (_position != _span.Length)
        {
            throw new InvalidOperationException($"Message length was counted as {_span.Length} bytes but {_position} were written.");
        }

        _output.Advance(_position);
    }
}
