using System.Buffers.Binary;

namespace OrleansGate.IntegrationTests.Protocol;

/// <summary>Mutations of valid byte streams for the socket fuzz runs, in either direction.</summary>
internal static class WireMutator
{
    private static readonly int[] Interesting = [-1, 0, 3, 4, 8, 10_001, 1 << 20, (1 << 20) + 1, int.MaxValue, int.MinValue];

    /// <summary>One to three mutations: a bit flip, a length-like Int32, a cut, an inserted or removed run of bytes.</summary>
    public static byte[] Mutate(Random random, byte[] seed)
    {
        var data = new List<byte>(seed);
        for (var n = 1 + random.Next(3); n > 0 && data.Count > 0; n--)
        {
            var at = random.Next(data.Count);
            switch (random.Next(5))
            {
                case 0:
                    data[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    var value = new byte[4];
                    BinaryPrimitives.WriteInt32BigEndian(value, Interesting[random.Next(Interesting.Length)]);
                    for (var k = 0; k < 4 && at + k < data.Count; k++)
                    {
                        data[at + k] = value[k];
                    }

                    break;
                case 2:
                    data.RemoveRange(at, data.Count - at);
                    break;
                case 3:
                    var inserted = new byte[1 + random.Next(6)];
                    random.NextBytes(inserted);
                    data.InsertRange(at, inserted);
                    break;
                default:
                    data.RemoveRange(at, Math.Min(data.Count - at, 1 + random.Next(6)));
                    break;
            }
        }

        return [.. data];
    }
}
