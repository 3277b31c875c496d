using System.Buffers;

namespace OrleansGate.Edge.Masking;

/// <summary>A growable scratch buffer over <see cref="ArrayPool{T}"/>, reused from message to message.</summary>
/// <remarks>
/// Not thread-safe: one per masker, and a masker belongs to one relay direction. <see cref="Reset"/> after each
/// message hands a large buffer back to the pool, so one huge row does not pin memory for the session.
/// </remarks>
internal sealed class PooledByteWriter : IBufferWriter<byte>
{
    private const int KeepAtMost = 64 * 1024;

    private byte[] _buffer = [];
    private int _written;

    public int WrittenCount => _written;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);

    public ReadOnlySpan<byte> Slice(int start, int length) => _buffer.AsSpan(start, length);

    public void Truncate(int count)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)count, (uint)_written);
        _written = count;
    }

    public void Reset()
    {
        _written = 0;
        if (_buffer.Length > KeepAtMost)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)count, (uint)(_buffer.Length - _written));
        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    public void Write(ReadOnlySpan<byte> value)
    {
        Ensure(value.Length);
        value.CopyTo(_buffer.AsSpan(_written));
        _written += value.Length;
    }

    public void WriteByte(byte value)
    {
        Ensure(1);
        _buffer[_written++] = value;
    }

    private void Ensure(int sizeHint)
    {
        sizeHint = Math.Max(sizeHint, 1);
        if (_buffer.Length - _written >= sizeHint)
        {
            return;
        }

        var next = ArrayPool<byte>.Shared.Rent(Math.Max(Math.Max(_buffer.Length * 2, 256), checked(_written + sizeHint)));
        _buffer.AsSpan(0, _written).CopyTo(next);
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        _buffer = next;
    }
}
