using System.Buffers;

namespace OrleansGate.Edge.Masking;

/// <summary>A message payload as one span: the segment itself when it is one, else a pooled copy returned on dispose.</summary>
internal ref struct ContiguousPayload
{
    private byte[]? _rented;

    public ContiguousPayload(in ReadOnlySequence<byte> payload)
    {
        if (payload.IsSingleSegment)
        {
            Span = payload.FirstSpan;
            return;
        }

        var length = checked((int)payload.Length);
        _rented = ArrayPool<byte>.Shared.Rent(length);
        payload.CopyTo(_rented);
        Span = _rented.AsSpan(0, length);
    }

    public ReadOnlySpan<byte> Span { get; }

    public void Dispose()
    {
        if (_rented is not null)
        {
            ArrayPool<byte>.Shared.Return(_rented);
            _rented = null;
        }
    }
}
