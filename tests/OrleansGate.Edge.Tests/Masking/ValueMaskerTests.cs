using System.Buffers.Binary;
using System.Text;
using OrleansGate.Edge.Masking;
using OrleansGate.Policy.Model;
using static OrleansGate.Edge.Tests.Masking.Masks;

namespace OrleansGate.Edge.Tests.Masking;

public sealed class ValueMaskerTests
{
    [Theory]
    [InlineData(Text, 0)]
    [InlineData(Varchar, 1)]
    [InlineData(Bpchar, 0)]
    [InlineData(Name, 1)]
    [InlineData(Unknown, 0)]
    public void Redact_of_a_text_like_value_is_the_marker_in_both_formats(uint type, short format) =>
        Assert.Equal("[masked]"u8.ToArray(), Replace(Masker(MaskMethod.Redact), "a@b.co"u8, type, format));

    [Theory]
    [InlineData(MaskMethod.Redact)]
    [InlineData(MaskMethod.Partial)]
    public void Redact_and_partial_of_json_are_the_marker_as_a_json_string(MaskMethod method)
    {
        var masker = Masker(method, keep: 4);
        Assert.Equal("\"[masked]\""u8.ToArray(), Replace(masker, "{\"a\":1}"u8, Json, 0));
        Assert.Equal("\"[masked]\""u8.ToArray(), Replace(masker, "{\"a\":1}"u8, Json, 1));
        Assert.Equal("\"[masked]\""u8.ToArray(), Replace(masker, "{\"a\": 1}"u8, Jsonb, 0));
        Assert.Equal([1, .. "\"[masked]\""u8], Replace(masker, [1, .. "{\"a\": 1}"u8], Jsonb, 1));
    }

    [Theory]
    [InlineData(MaskMethod.Redact, Int4)]
    [InlineData(MaskMethod.Redact, Uuid)]
    [InlineData(MaskMethod.Redact, Bytea)]
    [InlineData(MaskMethod.Partial, Int8)]
    [InlineData(MaskMethod.Partial, Float8)]
    [InlineData(MaskMethod.Hash, Float8)]
    [InlineData(MaskMethod.Null, Text)]
    [InlineData(MaskMethod.Null, Int4)]
    public void Without_a_faithful_replacement_the_value_becomes_null(MaskMethod method, uint type)
    {
        Assert.Null(Replace(Masker(method, keep: 2), "42"u8, type, 0));
        Assert.Null(Replace(Masker(method, keep: 2), [0, 0, 0, 42], type, 1));
    }

    [Theory]
    [InlineData("4111111111111111", 4, "************1111")]
    [InlineData("héllo wörld", 3, "********rld")]
    [InlineData("ab€😀", 2, "**€😀")]
    [InlineData("abc", 3, "***")]
    [InlineData("ab", 4, "**")]
    [InlineData("", 4, "")]
    [InlineData("secret", 0, "******")]
    public void Partial_stars_all_scalars_but_the_last_n_and_never_shows_a_short_value_whole(string value, int keep, string expected)
    {
        var masker = Masker(MaskMethod.Partial, keep);
        Assert.Equal(expected, Encoding.UTF8.GetString(Replace(masker, Utf8(value), Text, 0)!));
        Assert.Equal(expected, Encoding.UTF8.GetString(Replace(masker, Utf8(value), Varchar, 1)!));
    }

    [Fact]
    public void Partial_of_invalid_utf8_is_null() =>
        Assert.Null(Replace(Masker(MaskMethod.Partial, keep: 2), [0x61, 0xC3, 0x28, 0x62], Text, 0));

    [Fact]
    public void Hash_of_text_is_h_and_12_bytes_of_hex_the_same_in_every_text_like_type_and_format()
    {
        var expected = Utf8(TextHash("a@b.co"u8));
        var masker = Masker(MaskMethod.Hash);
        Assert.Equal(26, expected.Length);
        foreach (var type in new[] { Text, Varchar, Bpchar, Name, Unknown })
        {
            Assert.Equal(expected, Replace(masker, "a@b.co"u8, type, 0));
            Assert.Equal(expected, Replace(masker, "a@b.co"u8, type, 1));
        }
    }

    [Fact]
    public void Hash_of_an_integer_is_the_same_from_text_and_binary_and_as_text_hashes_its_digits()
    {
        var masker = Masker(MaskMethod.Hash);
        var mac = Mac("42"u8);
        Assert.Equal(Utf8(TextHash("42"u8)), Replace(masker, "42"u8, Text, 0));
        Assert.Equal(mac[..4], Replace(masker, Int32Bytes(42), Int4, 1));
        Assert.Null(Replace(masker, "42"u8, Int4, 1));
        Assert.Equal(Utf8(BinaryPrimitives.ReadInt32BigEndian(mac).ToString(System.Globalization.CultureInfo.InvariantCulture)),
            Replace(masker, "42"u8, Int4, 0));
        Assert.Equal(Utf8(BinaryPrimitives.ReadInt16BigEndian(mac).ToString(System.Globalization.CultureInfo.InvariantCulture)),
            Replace(masker, "42"u8, Int2, 0));
        Assert.Equal(mac[..8], Replace(masker, [0, 0, 0, 0, 0, 0, 0, 42], Int8, 1));
        Assert.Equal(mac[..2], Replace(masker, [0, 42], Int2, 1));
    }

    [Theory]
    [InlineData("99999", Int2)]
    [InlineData("4x", Int4)]
    [InlineData("", Int8)]
    public void Hash_of_an_integer_that_does_not_parse_is_null(string text, uint type) =>
        Assert.Null(Replace(Masker(MaskMethod.Hash), Utf8(text), type, 0));

    [Fact]
    public void Hash_of_a_uuid_hashes_its_canonical_text_and_is_a_uuid()
    {
        var masker = Masker(MaskMethod.Hash);
        const string canonical = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11";
        var mac = Mac(Utf8(canonical));
        var binary = Convert.FromHexString(canonical.Replace("-", "", StringComparison.Ordinal));
        Assert.Equal(mac[..16], Replace(masker, binary, Uuid, 1));
        var text = Encoding.UTF8.GetString(Replace(masker, Utf8(canonical), Uuid, 0)!);
        Assert.Equal(Utf8(text), Replace(masker, Utf8(canonical.ToUpperInvariant()), Uuid, 0));
        Assert.Equal(new Guid(mac[..16], bigEndian: true).ToString(), text);
        Assert.Null(Replace(masker, [1, 2, 3], Uuid, 1));
    }

    [Fact]
    public void Hash_of_bytea_hashes_the_raw_bytes_from_hex_text_or_binary()
    {
        var masker = Masker(MaskMethod.Hash);
        var mac = Mac([0xDE, 0xAD, 0xBE, 0xEF]);
        Assert.Equal(mac[..16], Replace(masker, [0xDE, 0xAD, 0xBE, 0xEF], Bytea, 1));
        Assert.Equal(Utf8("\\x" + Convert.ToHexStringLower(mac[..16])), Replace(masker, "\\xdeadBEEF"u8, Bytea, 0));
        Assert.Null(Replace(masker, "\\336\\255"u8, Bytea, 0));
        Assert.Null(Replace(masker, "\\xabc"u8, Bytea, 0));
    }

    [Fact]
    public void Hash_of_json_is_the_text_hash_as_a_json_string_and_jsonb_binary_drops_the_version_byte_first()
    {
        var masker = Masker(MaskMethod.Hash);
        var expected = Utf8($"\"{TextHash("{\"a\": 1}"u8)}\"");
        Assert.Equal(expected, Replace(masker, "{\"a\": 1}"u8, Json, 0));
        Assert.Equal(expected, Replace(masker, "{\"a\": 1}"u8, Jsonb, 0));
        Assert.Equal([1, .. expected], Replace(masker, [1, .. "{\"a\": 1}"u8], Jsonb, 1));
        Assert.Null(Replace(masker, [2, .. "{}"u8], Jsonb, 1));
    }

    [Fact]
    public void Hash_depends_on_the_key()
    {
        var other = new ValueMasker(Mask(MaskMethod.Hash), "another key"u8.ToArray());
        Assert.NotEqual(Replace(Masker(MaskMethod.Hash), "x"u8, Text, 0), Replace(other, "x"u8, Text, 0));
    }

    [Fact]
    public void Hash_without_a_key_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new ValueMasker(Mask(MaskMethod.Hash), null));
        Assert.Throws<ArgumentException>(() => new ValueMasker(Mask(MaskMethod.Hash), []));
    }

    [Fact]
    public void An_unknown_format_code_is_null() =>
        Assert.Null(Replace(Masker(MaskMethod.Redact), "x"u8, Text, 2));
}
