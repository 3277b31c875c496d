using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using OrleansGate.Edge.Masking;
using OrleansGate.Policy.Masking;
using OrleansGate.Policy.Model;
using OrleansGate.Postgres.Protocol;

namespace OrleansGate.Edge.Tests.Masking;

/// <summary>Masks, rows and the parsing of what the maskers write, for the masking tests.</summary>
internal static class Masks
{
    public const uint Text = 25, Varchar = 1043, Bpchar = 1042, Name = 19, Unknown = 705, Json = 114, Jsonb = 3802;
    public const uint Bytea = 17, Uuid = 2950, Int2 = 21, Int4 = 23, Int8 = 20, Float8 = 701;

    public static readonly DetectorGroup[] NoDetectors = [];

    public static readonly byte[] Key = "test-key-0123456789"u8.ToArray();

    public static ValueMasker Masker(MaskMethod method, int keep = 0, string name = "pii") =>
        new(Mask(method, keep, name), method == MaskMethod.Hash ? Key : null);

    public static PolicyMask Mask(MaskMethod method, int keep = 0, string name = "pii") => new()
    {
        Name = name,
        Match = new PolicyRule { Name = name, Effect = PolicyEffect.Allow, Reason = "mask" },
        Method = method,
        Keep = keep,
    };

    public static DetectorGroup Detectors(MaskMethod method, params string[] names) =>
        Detectors(method, 0, "pii", names);

    public static DetectorGroup Detectors(MaskMethod method, int keep, string mask, params string[] names) =>
        new(DetectorSet.Create(names, new Dictionary<string, string>()), Masker(method, keep, mask));

    /// <summary>The replacement of one value, or null for NULL.</summary>
    public static byte[]? Replace(ValueMasker masker, ReadOnlySpan<byte> value, uint type, short format)
    {
        var dest = new ArrayBufferWriter<byte>();
        return masker.TryReplace(value, type, format, dest) ? dest.WrittenSpan.ToArray() : null;
    }

    /// <summary>HMAC-SHA256 of <paramref name="canonical"/> with <see cref="Key"/>, as the tests expect it.</summary>
    public static byte[] Mac(ReadOnlySpan<byte> canonical) => HMACSHA256.HashData(Key, canonical);

    public static string TextHash(ReadOnlySpan<byte> canonical) => "h:" + Convert.ToHexStringLower(Mac(canonical)[..12]);

    /// <summary>A DataRow payload (after the length): count, then length and bytes per value (null = NULL).</summary>
    public static byte[] RowPayload(params byte[]?[] values)
    {
        var buffer = new ArrayBufferWriter<byte>();
        WriteInt16(buffer, (short)values.Length);
        foreach (var value in values)
        {
            WriteInt32(buffer, value?.Length ?? -1);
            buffer.Write(value ?? []);
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    public static byte[] Int32Bytes(int v)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(b, v);
        return b;
    }

    /// <summary>Runs the masker and reads the one DataRow it wrote back: framing and lengths checked by the protocol library.</summary>
    public static byte[]?[] Rewrite(RowMasker masker, byte[] payload, MaskCounts? counts = null)
    {
        var output = new ArrayBufferWriter<byte>();
        masker.Rewrite(new ReadOnlySequence<byte>(payload), output, counts ?? new MaskCounts());
        return ReadDataRow(output.WrittenMemory);
    }

    public static byte[]?[] ReadDataRow(ReadOnlyMemory<byte> written)
    {
        var sequence = new ReadOnlySequence<byte>(written);
        Assert.True(MessageFramer.TryRead(sequence, int.MaxValue, out var message, out var consumed, out _));
        Assert.Equal(sequence.End, consumed);
        Assert.Equal((byte)'D', message.Code);
        var count = BackendMessages.ValidateDataRow(message.Payload);
        var payload = message.Payload.ToArray().AsSpan();
        var values = new byte[]?[count];
        var position = 2;
        for (var i = 0; i < count; i++)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(payload[position..]);
            position += 4;
            values[i] = length < 0 ? null : payload.Slice(position, length).ToArray();
            position += Math.Max(length, 0);
        }

        return values;
    }

    /// <summary>Runs a COPY masker on one CopyData payload and returns the data of the CopyData it wrote.</summary>
    public static byte[] RewriteCopy(CopyRowMasker masker, byte[] payload, MaskCounts? counts = null)
    {
        var output = new ArrayBufferWriter<byte>();
        masker.Rewrite(new ReadOnlySequence<byte>(payload), output, counts ?? new MaskCounts());
        var sequence = new ReadOnlySequence<byte>(output.WrittenMemory);
        Assert.True(MessageFramer.TryRead(sequence, int.MaxValue, out var message, out var consumed, out _));
        Assert.Equal(sequence.End, consumed);
        Assert.Equal((byte)'d', message.Code);
        return message.Payload.ToArray();
    }

    private static void WriteInt16(ArrayBufferWriter<byte> w, short v)
    {
        BinaryPrimitives.WriteInt16BigEndian(w.GetSpan(2), v);
        w.Advance(2);
    }

    private static void WriteInt32(ArrayBufferWriter<byte> w, int v)
    {
        BinaryPrimitives.WriteInt32BigEndian(w.GetSpan(4), v);
        w.Advance(4);
    }
}
