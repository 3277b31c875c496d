using System.Buffers;
using System.IO.Pipelines;

namespace OrleansGate.Kubernetes.Tests.Masking;

/// <summary>
/// Serves a fixed input one more chunk per read, each chunk its own segment, so the masker sees exactly the given splits
/// (a <see cref="Pipe"/> would merge whatever was written before the read).
/// </summary>
internal sealed class ChunkedPipeReader : PipeReader
{
    private readonly ReadOnlySequence<byte> _whole;
    private readonly long[] _chunkEnds;
    private int _revealed;
    private long _consumed;

    public ChunkedPipeReader(byte[] data, IEnumerable<int> splitPoints)
    {
        var ends = splitPoints.Where(p => p > 0 && p < data.Length).Distinct().Order().Append(data.Length).ToArray();
        var first = new BufferSegment(data.AsMemory(0, ends[0]));
        var last = first;
        for (var i = 1; i < ends.Length; i++)
        {
            last = last.Append(data.AsMemory(ends[i - 1], ends[i] - ends[i - 1]));
        }

        _whole = new(first, 0, last, last.Memory.Length);
        _chunkEnds = [.. ends.Select(e => (long)e)];
    }

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        _ = TryRead(out var result);
        return ValueTask.FromResult(result);
    }

    public override bool TryRead(out ReadResult result)
    {
        _revealed = Math.Min(_revealed + 1, _chunkEnds.Length);
        var end = _chunkEnds[_revealed - 1];
        result = new(_whole.Slice(_consumed, end - _consumed), isCanceled: false, isCompleted: _revealed == _chunkEnds.Length);
        return true;
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => _consumed = _whole.GetOffset(consumed);

    public override void CancelPendingRead()
    {
    }

    public override void Complete(Exception? exception = null)
    {
    }
}
