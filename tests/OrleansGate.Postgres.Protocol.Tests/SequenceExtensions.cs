using System.Buffers;

namespace OrleansGate.Postgres.Protocol.Tests;

internal static class SequenceExtensions
{
    /// <summary>
    /// How far <paramref name="position"/> is from the start of <paramref name="sequence"/>.
    /// (GetOffset counts from the first segment's RunningIndex, not from a sliced sequence's start.)
    /// </summary>
    public static long Offset(this ReadOnlySequence<byte> sequence, SequencePosition position) =>
        sequence.Slice(sequence.Start, position).Length;
}
