using OrleansGate.Policy.Masking;

namespace OrleansGate.Policy.Tests.Masking;

public sealed class RegexDetectorTests
{
    [Fact]
    public void Configured_pattern_finds_every_match_under_its_name()
    {
        var detector = new RegexDetector("employee_id", @"\bEMP-\d{6}\b");
        var spans = new List<DetectedSpan>();

        detector.Detect("EMP-000123 reports to EMP-004567, not EMP-12", spans);

        Assert.Equal([new DetectedSpan(0, 10, "employee_id"), new DetectedSpan(22, 10, "employee_id")], spans);
    }

    [Fact]
    public void Empty_matches_are_not_reported()
    {
        var detector = new RegexDetector("xs", "x*");

        Assert.Empty(Found.By(detector, "abc"));
        Assert.Equal(["xx"], Found.By(detector, "axxb"));
    }

    [Theory]
    [InlineData(@"(a)\1")]
    [InlineData(@"(?<n>a)\k<n>")]
    [InlineData("(?=a)")]
    [InlineData("(?!a)b")]
    [InlineData("(?<=a)b")]
    [InlineData("(?<!a)b")]
    [InlineData("(?>a+)b")]
    [InlineData("(?(a)b|c)")]
    public void Pattern_needing_backtracking_is_refused_naming_the_detector(string pattern)
    {
        var error = Assert.Throws<DetectorConfigurationException>(() => new RegexDetector("ticket", pattern));

        Assert.StartsWith("detector 'ticket': the pattern cannot run in linear time: ", error.Message, StringComparison.Ordinal);
        Assert.IsType<NotSupportedException>(error.InnerException);
    }

    [Fact]
    public void Pattern_that_does_not_parse_is_refused_naming_the_detector()
    {
        var error = Assert.Throws<DetectorConfigurationException>(() => new RegexDetector("ticket", "(a"));

        Assert.StartsWith("detector 'ticket': the pattern is not a valid regular expression: ", error.Message, StringComparison.Ordinal);
    }
}
