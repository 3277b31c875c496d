using System.Buffers.Binary;

namespace OrleansGate.Postgres.Protocol.Tests;

/// <summary>Deterministic mutations of a byte stream, aimed at what a framing parser trusts: lengths, counts, terminators.</summary>
internal sealed class StreamMutator(int seed)
{
    private static readonly int[] InterestingInt32 = [-1, 0, 1, 3, 4, 5, 7, 8, 127, 128, 255, 256, 9_999, 10_000, 10_001, 65_535, 65_536, 1 << 20, (1 << 20) + 1, int.MaxValue, int.MinValue];
    private static readonly short[] InterestingInt16 = [-1, 0, 1, 2, 255, short.MaxValue, short.MinValue];
    private static readonly byte[] InterestingBytes = [0, 1, 0x7F, 0x80, 0xFF, (byte)'S', (byte)'P', (byte)'Q', (byte)'E', (byte)'D', (byte)'Z'];

    private readonly Random _random = new(seed);

    public Random Random => _random;

    /// <summary>One to four stacked mutations of <paramref name="input"/>.</summary>
    public byte[] Mutate(byte[] input)
    {
        var data = new List<byte>(input);
        var count = 1 + _random.Next(4);
        for (var i = 0; i < count; i++)
        {
            MutateOnce(data);
        }

        return [.. data];
    }

    private void MutateOnce(List<byte> data)
    {
        if (data.Count == 0)
        {
            data.Add(InterestingBytes[_random.Next(InterestingBytes.Length)]);
            return;
        }

        var at = _random.Next(data.Count);
        switch (_random.Next(9))
        {
            case 0:
                data[at] ^= (byte)(1 << _random.Next(8));
                break;
            case 1:
                data[at] = InterestingBytes[_random.Next(InterestingBytes.Length)];
                break;
            case 2:
                Overwrite(data, at, BigEndian(InterestingInt32[_random.Next(InterestingInt32.Length)]));
                break;
            case 3:
                var int16 = new byte[2];
                BinaryPrimitives.WriteInt16BigEndian(int16, InterestingInt16[_random.Next(InterestingInt16.Length)]);
                Overwrite(data, at, int16);
                break;
            case 4:
                data.RemoveRange(at, Math.Min(data.Count - at, 1 + _random.Next(8)));
                break;
            case 5:
                var inserted = new byte[1 + _random.Next(8)];
                _random.NextBytes(inserted);
                data.InsertRange(at, inserted);
                break;
            case 6:
                data.RemoveRange(at, data.Count - at);
                break;
            case 7:
                var length = Math.Min(data.Count - at, 1 + _random.Next(32));
                data.InsertRange(_random.Next(data.Count), data.GetRange(at, length));
                break;
            default:
                // A NUL terminator removed or added: strings are where parsers over-read.
                var nul = data.IndexOf(0, at);
                if (nul >= 0)
                {
                    data[nul] = (byte)'x';
                }
                else
                {
                    data.Insert(at, 0);
                }

                break;
        }
    }

    /// <summary>The bytes cut into 1..6 random segments, so splits land anywhere.</summary>
    public System.Buffers.ReadOnlySequence<byte> Segment(byte[] data)
    {
        var cuts = Enumerable.Range(0, _random.Next(6)).Select(_ => _random.Next(data.Length + 1)).Distinct().Order().Where(c => c > 0 && c < data.Length).ToArray();
        return cuts.Length == 0 ? new System.Buffers.ReadOnlySequence<byte>(data) : Sequences.Split(data, cuts);
    }

    private static byte[] BigEndian(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        return bytes;
    }

    private static void Overwrite(List<byte> data, int at, byte[] value)
    {
        for (var i = 0; i < value.Length && at + i < data.Count; i++)
        {
            data[at + i] = value[i];
        }
    }
}
