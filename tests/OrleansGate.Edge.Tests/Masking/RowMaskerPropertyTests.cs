using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;
using OrleansGate.Edge.Masking;
using OrleansGate.Policy.Model;
using static OrleansGate.Edge.Tests.Masking.Masks;

namespace OrleansGate.Edge.Tests.Masking;

public sealed class RowMaskerPropertyTests
{
    private static readonly uint[] Types = [Masks.Text, Varchar, Bpchar, Name, Unknown, Json, Jsonb, Bytea, Uuid, Int2, Int4, Int8];

    [Theory]
    [InlineData(MaskMethod.Redact)]
    [InlineData(MaskMethod.Partial)]
    [InlineData(MaskMethod.Hash)]
    [InlineData(MaskMethod.Null)]
    public void Random_values_of_every_type_and_format_mask_to_valid_encodings_of_their_type(MaskMethod method)
    {
        var random = new Random(15);
        var masker = Masker(method, keep: 3);
        var detectors = new[] { Detectors(MaskMethod.Redact, "email", "card") };
        for (var round = 0; round < 3000; round++)
        {
            var type = Types[random.Next(Types.Length)];
            var format = (short)random.Next(2);
            var value = RandomValue(random, type, format);
            var plan = RowMasker.Create(
                [new FieldPlan(type, format, masker, "c (m)"), new FieldPlan(type, format, null, null)], detectors)!;

            var row = Rewrite(plan, RowPayload(value, value));

            if (row[0] is { } replaced)
            {
                AssertValid(type, format, replaced);
            }
            else
            {
                Assert.True(method == MaskMethod.Null || !IsTextLike(type),
                    $"{method} of type {type} gave NULL");
            }

            if (row[1] is { } scanned)
            {
                AssertValid(type, format, scanned);
            }
        }
    }

    private static bool IsTextLike(uint type) => type is Masks.Text or Varchar or Bpchar or Name or Unknown;

    private static void AssertValid(uint type, short format, byte[] value)
    {
        switch (type)
        {
            case Int2 or Int4 or Int8:
                var size = type == Int2 ? 2 : type == Int4 ? 4 : 8;
                if (format == 1)
                {
                    Assert.Equal(size, value.Length);
                }
                else
                {
                    Assert.True(long.TryParse(Encoding.UTF8.GetString(value), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _));
                }

                break;
            case Uuid:
                if (format == 1)
                {
                    Assert.Equal(16, value.Length);
                }
                else
                {
                    Assert.True(Guid.TryParseExact(Encoding.UTF8.GetString(value), "D", out _));
                }

                break;
            case Bytea:
                Assert.True(format == 1 || Encoding.UTF8.GetString(value).StartsWith("\\x", StringComparison.Ordinal));
                break;
            case Json or Jsonb:
                var body = type == Jsonb && format == 1 ? value.AsSpan(1) : value;
                Assert.True(type != Jsonb || format != 1 || value[0] == 1);
                using (JsonDocument.Parse(body.ToArray()))
                {
                }

                break;
            default:
                _ = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(value);
                break;
        }
    }

    private static byte[] RandomValue(Random random, uint type, short format)
    {
        string RandomText() => random.Next(4) switch
        {
            0 => $"user{random.Next(1000)}@example.com",
            1 => "card 4111 1111 1111 1111",
            2 => new string((char)random.Next(0x20, 0x7F), random.Next(0, 8)) + "é€😀",
            _ => random.Next().ToString(CultureInfo.InvariantCulture),
        };

        switch (type)
        {
            case Int2 or Int4 or Int8:
                var size = type == Int2 ? 2 : type == Int4 ? 4 : 8;
                var n = random.NextInt64();
                n = size == 2 ? (short)n : size == 4 ? (int)n : n;
                if (format == 0)
                {
                    return Utf8(n.ToString(CultureInfo.InvariantCulture));
                }

                var bytes = new byte[8];
                BinaryPrimitives.WriteInt64BigEndian(bytes, n);
                return bytes[(8 - size)..];
            case Uuid:
                var guid = Guid.NewGuid();
                return format == 1 ? guid.ToByteArray(bigEndian: true) : Utf8(guid.ToString());
            case Bytea:
                var raw = new byte[random.Next(0, 20)];
                random.NextBytes(raw);
                return format == 1 ? raw : Utf8("\\x" + Convert.ToHexStringLower(raw));
            case Json or Jsonb:
                var json = Utf8(JsonSerializer.Serialize(new { note = RandomText(), n = random.Next() }));
                return type == Jsonb && format == 1 ? [1, .. json] : json;
            default:
                return Utf8(RandomText());
        }
    }
}
