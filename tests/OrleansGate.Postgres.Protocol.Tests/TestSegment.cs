using System.Buffers;

namespace OrleansGate.Postgres.Protocol.Tests;

/// <summary>One segment of a hand-built multi-segment sequence, as a pipe hands them out.</summary>
internal sealed class TestSegment : ReadOnlySequenceSegment<byte>
{
    public TestSegment(ReadOnlyMemory<byte> memory, long runningIndex = 0)
    {
        Memory = memory;
        RunningIndex = runningIndex;
    }

    public TestSegment Append(ReadOnlyMemory<byte> memory)
    {
        var next = new TestSegment(memory, RunningIndex + Memory.Length);
        Next = next;
        return next;
    }
}
