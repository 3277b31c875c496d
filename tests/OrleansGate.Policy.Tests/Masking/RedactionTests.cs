using OrleansGate.Policy.Masking;

namespace OrleansGate.Policy.Tests.Masking;

public sealed class RedactionTests
{
    private static readonly DetectorSet AllBuiltIns = DetectorSet.Create(DetectorSet.BuiltInNames, new Dictionary<string, string>());

    [Fact]
    public void Each_find_is_replaced_by_its_detector_marker()
    {
        const string value = "mail jane@example.com, card 4111 1111 1111 1111, ssn 123-45-6789.";

        Assert.Equal("mail [email], card [card], ssn [us_ssn].", Redact(value));
    }

    [Fact]
    public void Configured_marker_replaces_the_default()
    {
        var spans = new List<DetectedSpan> { new(4, 16, "email") };

        Assert.Equal("to: *** ok", Redaction.Redact("to: jane@example.com ok", spans, _ => "***"));
    }

    [Fact]
    public void Value_without_finds_is_returned_as_the_same_instance()
    {
        const string value = "nothing sensitive";

        Assert.Same(value, Redaction.Redact(value, []));
    }

    [Fact]
    public void No_matched_text_survives_in_the_redacted_value()
    {
        string[] secrets =
        [
            "jane@example.com", "4111-1111-1111-1111", "123-45-6789", "GB82 WEST 1234 5698 7654 32",
            "AKIAIOSFODNN7EXAMPLE", "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.c2ln",
            "-----BEGIN PRIVATE KEY-----\nMIIEvQ\n-----END PRIVATE KEY-----",
        ];

        var redacted = Redact(string.Join(" | ", secrets));

        Assert.Equal(
            "[email] | [card] | [us_ssn] | [iban] | [aws_access_key] | [jwt] | [pem_private_key]",
            redacted);
    }

    [Fact]
    public void Overlapping_spans_are_refused_with_positions_but_not_the_text()
    {
        const string value = "secret 4111111111111111";
        var spans = new List<DetectedSpan> { new(7, 16, "card"), new(10, 4, "card") };

        var error = Assert.Throws<ArgumentException>(() => Redaction.Redact(value, spans));

        Assert.DoesNotContain("4111", error.Message, StringComparison.Ordinal);
        Assert.StartsWith("span 10+4 of 'card' overlaps the previous span", error.Message, StringComparison.Ordinal);
    }

    private static string Redact(string value)
    {
        var spans = new List<DetectedSpan>();
        AllBuiltIns.Detect(value, spans);
        return Redaction.Redact(value, spans);
    }
}
