using System.Buffers;
using System.Text;
using OrleansGate.Edge.Masking;
using OrleansGate.Policy.Model;
using OrleansGate.Postgres.Protocol;
using static OrleansGate.Edge.Tests.Masking.Masks;

namespace OrleansGate.Edge.Tests.Masking;

public sealed class RowMaskerTests
{
    [Fact]
    public void Nothing_to_mask_and_no_detectors_gives_no_plan()
    {
        Assert.Null(RowMasker.Create([new FieldPlan(Text, 0, null, null)], NoDetectors));
        Assert.Null(RowMasker.Create([new FieldPlan(Int4, 1, null, null)], [Detectors(MaskMethod.Redact, "email")]));
    }

    [Fact]
    public void A_masked_column_is_replaced_others_and_nulls_are_copied_and_counted_under_its_label()
    {
        var masker = RowMasker.Create(
            [
                new FieldPlan(Int4, 1, null, null),
                new FieldPlan(Text, 0, Masker(MaskMethod.Redact), "public.customers.email (pii)"),
                new FieldPlan(Text, 0, Masker(MaskMethod.Redact), "public.customers.phone (pii)"),
            ],
            NoDetectors)!;
        var counts = new MaskCounts();

        var row = Rewrite(masker, RowPayload(Int32Bytes(7), Utf8("ann@example.com"), null), counts);

        Assert.Equal(Int32Bytes(7), row[0]);
        Assert.Equal(Utf8("[masked]"), row[1]);
        Assert.Null(row[2]);
        Assert.Equal(["public.customers.email (pii, redact): 1"], counts.Summary());
    }

    [Fact]
    public void Null_method_and_an_unfaithful_type_write_length_minus_one()
    {
        var masker = RowMasker.Create(
            [new FieldPlan(Text, 0, Masker(MaskMethod.Null), "a (m)"), new FieldPlan(Float8, 0, Masker(MaskMethod.Redact), "b (m)")],
            NoDetectors)!;

        Assert.Equal([null, null], Rewrite(masker, RowPayload(Utf8("x"), Utf8("1.5"))));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void A_field_count_other_than_the_plans_is_a_protocol_violation_and_writes_nothing(int columns)
    {
        var masker = RowMasker.Create(
            [new FieldPlan(Text, 0, Masker(MaskMethod.Redact), null), new FieldPlan(Text, 0, null, null)], NoDetectors)!;
        var output = new ArrayBufferWriter<byte>();
        var values = Enumerable.Repeat<byte[]?>(Utf8("v"), columns).ToArray();

        var error = Assert.Throws<PgProtocolException>(() =>
            masker.Rewrite(new ReadOnlySequence<byte>(RowPayload(values)), output, new MaskCounts()));
        Assert.Equal("08P01", error.SqlState);
        Assert.Equal(0, output.WrittenCount);
    }

    [Fact]
    public void A_truncated_row_is_a_protocol_violation()
    {
        var masker = RowMasker.Create([new FieldPlan(Text, 0, Masker(MaskMethod.Redact), null)], NoDetectors)!;
        var payload = RowPayload(Utf8("value"))[..^1];
        Assert.Throws<PgProtocolException>(() =>
            masker.Rewrite(new ReadOnlySequence<byte>(payload), new ArrayBufferWriter<byte>(), new MaskCounts()));
    }

    [Fact]
    public void A_payload_split_across_segments_is_rewritten_as_a_contiguous_one()
    {
        var masker = RowMasker.Create(
            [new FieldPlan(Text, 0, null, null), new FieldPlan(Text, 0, Masker(MaskMethod.Partial, keep: 4), "c (pii)")], NoDetectors)!;
        var payload = RowPayload(Utf8("keep me"), Utf8("4111111111111111"));
        var output = new ArrayBufferWriter<byte>();

        masker.Rewrite(Segments.Split(payload, 5), output, new MaskCounts());

        var row = ReadDataRow(output.WrittenMemory);
        Assert.Equal("keep me", Encoding.UTF8.GetString(row[0]!));
        Assert.Equal("************1111", Encoding.UTF8.GetString(row[1]!));
    }

    [Theory]
    [InlineData(Text, 0)]
    [InlineData(Varchar, 1)]
    [InlineData(Json, 0)]
    public void Detectors_replace_what_they_find_in_text_and_json_and_count_per_detector(uint type, short format)
    {
        var masker = RowMasker.Create(
            [new FieldPlan(type, format, null, null)], [Detectors(MaskMethod.Redact, "email", "card")])!;
        var counts = new MaskCounts();

        var row = Rewrite(masker, RowPayload(Utf8("[\"mail ann@example.com\", \"card 4111 1111 1111 1111\"]")), counts);

        Assert.Equal("[\"mail [email]\", \"card [card]\"]", Encoding.UTF8.GetString(row[0]!));
        Assert.Equal(["detector card (pii, redact): 1", "detector email (pii, redact): 1"], counts.Summary());
    }

    [Fact]
    public void Detectors_in_jsonb_binary_keep_the_version_byte()
    {
        var masker = RowMasker.Create([new FieldPlan(Jsonb, 1, null, null)], [Detectors(MaskMethod.Redact, "email")])!;

        var row = Rewrite(masker, RowPayload([1, .. Utf8("{\"to\": \"ann@example.com\"}")]));

        Assert.Equal([1, .. Utf8("{\"to\": \"[email]\"}")], row[0]);
    }

    [Fact]
    public void A_find_that_would_leave_invalid_json_makes_the_value_null()
    {
        var masker = RowMasker.Create([new FieldPlan(Json, 0, null, null)], [Detectors(MaskMethod.Redact, "card")])!;

        Assert.Equal([null], Rewrite(masker, RowPayload(Utf8("{\"card\": 4111111111111111}"))));
    }

    [Fact]
    public void Detector_partial_hash_and_null_methods_apply_to_the_found_span()
    {
        var text = Utf8("to ann@example.com now");
        var partial = RowMasker.Create([new FieldPlan(Text, 0, null, null)], [Detectors(MaskMethod.Partial, 3, "p", "email")])!;
        var hash = RowMasker.Create([new FieldPlan(Text, 0, null, null)], [Detectors(MaskMethod.Hash, 0, "h", "email")])!;
        var nulls = RowMasker.Create([new FieldPlan(Text, 0, null, null)], [Detectors(MaskMethod.Null, 0, "n", "email")])!;

        Assert.Equal("to ************com now", Encoding.UTF8.GetString(Rewrite(partial, RowPayload(text))[0]!));
        Assert.Equal($"to {TextHash("ann@example.com"u8)} now", Encoding.UTF8.GetString(Rewrite(hash, RowPayload(text))[0]!));
        Assert.Equal([null], Rewrite(nulls, RowPayload(text)));
    }

    [Fact]
    public void Overlapping_finds_of_two_masks_take_the_method_that_shows_least()
    {
        var masker = RowMasker.Create(
            [new FieldPlan(Text, 0, null, null)],
            [Detectors(MaskMethod.Partial, 4, "cards", "card"), Detectors(MaskMethod.Redact, 0, "mails", "email")])!;
        var reversed = RowMasker.Create(
            [new FieldPlan(Text, 0, null, null)],
            [Detectors(MaskMethod.Redact, 0, "cards", "card"), Detectors(MaskMethod.Partial, 4, "mails", "email")])!;
        Assert.Equal("x [email] y", Encoding.UTF8.GetString(Rewrite(reversed, RowPayload(Utf8("x 4111111111111111@example.com y")))[0]!));
        var counts = new MaskCounts();

        // The card number is also the local part of an address: partial would show its last 4 digits.
        var row = Rewrite(masker, RowPayload(Utf8("x 4111111111111111@example.com y")), counts);

        Assert.Equal("x [email] y", Encoding.UTF8.GetString(row[0]!));
        Assert.Equal(["detector card (cards, partial): 1", "detector email (mails, redact): 1"], counts.Summary());
    }

    [Fact]
    public void A_value_without_finds_is_copied_unchanged_and_invalid_utf8_becomes_null()
    {
        var masker = RowMasker.Create([new FieldPlan(Text, 0, null, null), new FieldPlan(Text, 1, null, null)],
            [Detectors(MaskMethod.Redact, "email")])!;
        var counts = new MaskCounts();

        var row = Rewrite(masker, RowPayload(Utf8("plain text"), [0x61, 0xFF, 0x62]), counts);

        Assert.Equal(Utf8("plain text"), row[0]);
        Assert.Null(row[1]);
        Assert.Equal(["undecodable (pii): 1"], counts.Summary());
    }

    [Fact]
    public void Detectors_leave_non_text_columns_alone()
    {
        var masker = RowMasker.Create([new FieldPlan(Bytea, 1, null, null), new FieldPlan(Text, 0, null, null)],
            [Detectors(MaskMethod.Redact, "email")])!;

        var row = Rewrite(masker, RowPayload(Utf8("ann@example.com"), Utf8("b@c.de")));

        Assert.Equal(Utf8("ann@example.com"), row[0]);
        Assert.Equal(Utf8("[email]"), row[1]);
    }
}
