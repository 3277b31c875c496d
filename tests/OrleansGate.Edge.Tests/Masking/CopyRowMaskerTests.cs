using System.Buffers;
using System.Text;
using OrleansGate.Edge.Masking;
using OrleansGate.Policy.Model;
using OrleansGate.Postgres.Protocol;
using static OrleansGate.Edge.Tests.Masking.Masks;

namespace OrleansGate.Edge.Tests.Masking;

public sealed class CopyRowMaskerTests
{
    private static CopyRowMasker Text(FieldPlan[] fields, DetectorGroup[]? detectors = null, bool header = false) =>
        CopyRowMasker.Create(fields, detectors ?? NoDetectors, CopyFormatKind.Text, header, '\t', "\\N", '"', '"')!;

    private static CopyRowMasker Csv(FieldPlan[] fields, DetectorGroup[]? detectors = null, bool header = false) =>
        CopyRowMasker.Create(fields, detectors ?? NoDetectors, CopyFormatKind.Csv, header, ',', "", '"', '"')!;

    private static string Run(CopyRowMasker masker, string data, MaskCounts? counts = null) =>
        Encoding.UTF8.GetString(RewriteCopy(masker, Utf8(data), counts));

    [Fact]
    public void Text_masks_a_column_keeps_others_and_nulls_and_passes_the_header_row()
    {
        var masker = Text(
            [new FieldPlan(Int4, 0, null, null), new FieldPlan(Masks.Text, 0, Masker(MaskMethod.Redact), "email (pii)")],
            header: true);
        var counts = new MaskCounts();

        Assert.Equal("id\temail\n", Run(masker, "id\temail\n", counts));
        Assert.Equal("1\t[masked]\n", Run(masker, "1\tann@example.com\n", counts));
        Assert.Equal("2\t\\N\n", Run(masker, "2\t\\N\n", counts));
        Assert.Equal(["email (pii, redact): 1"], counts.Summary());
    }

    [Fact]
    public void Text_escapes_are_decoded_before_hashing_and_detection_and_replacements_escaped_again()
    {
        var hash = Text([new FieldPlan(Masks.Text, 0, Masker(MaskMethod.Hash), "c (h)")]);
        Assert.Equal(TextHash("a\tb\\c\nd\u0001é"u8) + "\n", Run(hash, "a\\tb\\\\c\\nd\\001\\xc3\\xa9\n"));

        var partial = Text([new FieldPlan(Masks.Text, 0, Masker(MaskMethod.Partial, keep: 3), "c (p)")]);
        Assert.Equal("****\\t\\\\\\n\n", Run(partial, "abcd\\t\\\\\\n\n"));

        var detect = Text([new FieldPlan(Masks.Text, 0, null, null)], [Detectors(MaskMethod.Redact, "email")]);
        Assert.Equal("line\\n[email]\\tend\n", Run(detect, "line\\nann@example.com\\tend\n"));
        Assert.Equal("no\\tfind\\\\here\n", Run(detect, "no\\tfind\\\\here\n"));
    }

    [Fact]
    public void Text_unknown_type_masked_column_is_the_null_string_but_detectors_still_read_it()
    {
        var masker = Text(
            [new FieldPlan(0, 0, Masker(MaskMethod.Redact), "x (pii)"), new FieldPlan(0, 0, null, null)],
            [Detectors(MaskMethod.Redact, "email")]);

        Assert.Equal("\\N\tto [email]\n", Run(masker, "secret\tto ann@example.com\n"));
    }

    [Fact]
    public void Csv_reads_quoted_delimiters_newlines_and_doubled_quotes_and_quotes_what_needs_it()
    {
        var masker = Csv(
            [new FieldPlan(Int4, 0, null, null), new FieldPlan(Masks.Text, 0, null, null), new FieldPlan(Masks.Text, 0, Masker(MaskMethod.Partial, keep: 4), "c (p)")],
            [Detectors(MaskMethod.Redact, "email")], header: true);

        Assert.Equal("id,note,card\n", Run(masker, "id,note,card\n"));
        Assert.Equal(
            "1,\"say \"\"hi\"\",\n[email]\",\"*b,5\"\"\"\n",
            Run(masker, "1,\"say \"\"hi\"\",\nann@example.com\",\"ab,5\"\"\"\n"));
        Assert.Equal("2,\"a,b\",\n", Run(masker, "2,\"a,b\",\n"));
        Assert.Equal("3,\"\",*\n", Run(masker, "3,\"\",\"\"\"\"\n"));
    }

    [Fact]
    public void Csv_replacement_equal_to_the_null_string_is_quoted()
    {
        var masker = Csv([new FieldPlan(Masks.Text, 0, Masker(MaskMethod.Partial, keep: 2), "c (p)")]);

        Assert.Equal("\"\"\n", Run(masker, "\"\"\n"));
        Assert.Equal("\n", Run(masker, "\n"));
    }

    [Fact]
    public void Binary_passes_header_and_trailer_and_masks_fields_by_type()
    {
        var masker = CopyRowMasker.Create(
            [new FieldPlan(Int4, 0, Masker(MaskMethod.Hash), "id (h)"), new FieldPlan(0, 0, Masker(MaskMethod.Redact), "u (pii)"), new FieldPlan(Masks.Text, 0, null, null)],
            [Detectors(MaskMethod.Redact, "email")], CopyFormatKind.Binary, header: false, '\t', "\\N", '"', '"')!;
        byte[] header = [.. "PGCOPY\n"u8, 0xFF, .. "\r\n\0"u8, 0, 0, 0, 0, 0, 0, 0, 2, 0xAB, 0xCD];
        byte[] tuple = [0, 3, .. Int32Bytes(4), .. Int32Bytes(42), .. Int32Bytes(3), .. "abc"u8, .. Int32Bytes(15), .. "ann@example.com"u8];

        var first = RewriteCopy(masker, [.. header, .. tuple]);
        var trailer = RewriteCopy(masker, [0xFF, 0xFF]);

        Assert.Equal([.. header, 0, 3, .. Int32Bytes(4), .. Mac("42"u8)[..4], .. Int32Bytes(-1), .. Int32Bytes(7), .. "[email]"u8], first);
        Assert.Equal([0xFF, 0xFF], trailer);
        Assert.Throws<PgProtocolException>(() => RewriteCopy(masker, [0, 3]));
    }

    [Theory]
    [InlineData("1\t2\n")]
    [InlineData("1\n")]
    [InlineData("1\t2")]
    [InlineData("1\tab\\")]
    public void Text_row_that_does_not_parse_is_a_protocol_violation(string data)
    {
        var masker = Text([new FieldPlan(Int4, 0, null, null), new FieldPlan(Masks.Text, 0, Masker(MaskMethod.Redact), null), new FieldPlan(Int4, 0, null, null)]);
        var output = new ArrayBufferWriter<byte>();
        Assert.Throws<PgProtocolException>(() => masker.Rewrite(new ReadOnlySequence<byte>(Utf8(data)), output, new MaskCounts()));
        Assert.Equal(0, output.WrittenCount);
    }

    [Theory]
    [InlineData("1,\"open\n")]
    [InlineData("1,2,3\n")]
    public void Csv_row_that_does_not_parse_is_a_protocol_violation(string data)
    {
        var masker = Csv([new FieldPlan(Int4, 0, null, null), new FieldPlan(Masks.Text, 0, Masker(MaskMethod.Redact), null)]);
        Assert.Throws<PgProtocolException>(() => RewriteCopy(masker, Utf8(data)));
    }

    [Fact]
    public void Binary_without_the_signature_is_a_protocol_violation()
    {
        var masker = CopyRowMasker.Create([new FieldPlan(Masks.Text, 0, Masker(MaskMethod.Redact), null)], NoDetectors,
            CopyFormatKind.Binary, false, '\t', "\\N", '"', '"')!;
        Assert.Throws<PgProtocolException>(() => RewriteCopy(masker, [0, 1, 0, 0, 0, 1, 0x61]));
    }
}
