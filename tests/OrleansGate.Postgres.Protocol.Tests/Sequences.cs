using System.Buffers;

namespace OrleansGate.Postgres.Protocol.Tests;

/// <summary>Builds the same bytes as differently segmented sequences.</summary>
internal static class Sequences
{
    /// <summary>The bytes cut at the given offsets; each piece is copied to its own array, so no reader can peek across.</summary>
    public static ReadOnlySequence<byte> Split(byte[] data, params int[] cuts)
    {
        var bounds = cuts.Prepend(0).Append(data.Length).ToArray();
        var first = new TestSegment(data[bounds[0]..bounds[1]]);
        var last = first;
        for (var i = 1; i < bounds.Length - 1; i++)
        {
            last = last.Append(data[bounds[i]..bounds[i + 1]]);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    /// <summary>
    /// Every split into 2 and into 3 segments, one byte per segment, empty segments between bytes, and the
    /// bytes after an already-consumed prefix (so positions relative to the sequence start are exercised).
    /// </summary>
    public static IEnumerable<(string Name, ReadOnlySequence<byte> Sequence)> AllSplits(byte[] data)
    {
        for (var a = 1; a < data.Length; a++)
        {
            yield return ($"2 segments at {a}", Split(data, a));
            for (var b = a + 1; b < data.Length; b++)
            {
                yield return ($"3 segments at {a},{b}", Split(data, a, b));
            }
        }

        yield return ("one byte per segment", Split(data, [.. Enumerable.Range(1, data.Length - 1)]));

        var first = new TestSegment(Array.Empty<byte>());
        var last = first;
        foreach (var b in data)
        {
            last = last.Append(new[] { b }).Append(Array.Empty<byte>());
        }

        yield return ("empty segments between bytes", new ReadOnlySequence<byte>(first, 0, last, 0));

        byte[] junk = [0xEE, 0xEE, 0xEE];
        var withPrefix = Split([.. junk, .. data], junk.Length + 1);
        yield return ("after a consumed prefix", withPrefix.Slice(junk.Length));
    }
}
