using System.Buffers;

namespace OrleansGate.Edge.Postgres;

/// <summary>A buffer writer that keeps nothing: what is written to it is dropped (an answer that is withheld).</summary>
internal sealed class DiscardingWriter : IBufferWriter<byte>
{
    [ThreadStatic]
    private static byte[]? _scratch;

    public void Advance(int count)
    {
    }

    public Memory<byte> GetMemory(int sizeHint = 0) => Scratch(sizeHint);

    public Span<byte> GetSpan(int sizeHint = 0) => Scratch(sizeHint);

    private static byte[] Scratch(int sizeHint)
    {
        var size = Math.Max(sizeHint, 4096);
        if (_scratch is null || _scratch.Length < size)
        {
            _scratch = new byte[size];
        }

        return _scratch;
    }
}
