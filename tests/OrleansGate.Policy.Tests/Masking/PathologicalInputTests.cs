using OrleansGate.Policy.Masking;

namespace OrleansGate.Policy.Tests.Masking;

/// <summary>
/// Inputs built to make a naive scanner (or a backtracking regex) quadratic or exponential. They assert the
/// outcome only: the cost is measured by the benchmark, not by a timed unit test. A quadratic scanner would
/// still pass here, but slowly enough to show in the test run's duration.
/// </summary>
public sealed class PathologicalInputTests
{
    private const int Length = 100_000;

    private static readonly DetectorSet Everything = DetectorSet.Create(
        DetectorSet.BuiltInNames,
        new Dictionary<string, string> { ["nested"] = "(a+)+$", ["alternation"] = "(a|aa)+b" });

    [Theory]
    [InlineData("a")]
    [InlineData("a@")]
    [InlineData("a.")]
    [InlineData("1 ")]
    [InlineData("7")]
    [InlineData("123-")]
    [InlineData("GB29 ")]
    [InlineData("A")]
    [InlineData("AKIA")]
    [InlineData("eyJ")]
    [InlineData("-----BEGIN ")]
    [InlineData("-----END PRIVATE KEY-----")]
    public void Repeated_fragment_finishes_with_nothing_found(string fragment)
    {
        var value = Repeat(fragment) + "!";

        Assert.Empty(Found.By(Everything, value));
    }

    [Fact]
    public void Repeated_at_signs_with_a_real_address_at_the_end_find_only_that_address()
    {
        var value = Repeat("a@") + " ops@example.com";

        Assert.Equal(["ops@example.com"], Found.By(Everything, value));
    }

    [Fact]
    public void Dotted_run_of_headers_is_one_token_up_to_the_last_dot()
    {
        var value = Repeat("eyJ.") + "!";

        var spans = new List<DetectedSpan>();
        Everything.Detect(value, spans);

        Assert.Equal([new DetectedSpan(0, value.Length - 2, "jwt")], spans);
    }

    [Fact]
    public void Unterminated_key_after_many_begin_lines_runs_to_the_end()
    {
        var value = Repeat("-----BEGIN ") + "-----BEGIN PRIVATE KEY-----\n" + Repeat("A");

        var spans = new List<DetectedSpan>();
        Everything.Detect(value, spans);

        var key = Assert.Single(spans);
        Assert.Equal(("pem_private_key", value.Length), (key.Detector, key.End));
    }

    [Fact]
    public void Run_of_only_zeros_in_groups_yields_luhn_valid_cards_of_19_digits()
    {
        // Zero sums to zero, so every window passes Luhn: the scanner must still take each group once.
        var value = Repeat("0 ").TrimEnd();

        var spans = new List<DetectedSpan>();
        new CardNumberDetector().Detect(value, spans);

        Assert.Equal(Length / 2 / 19, spans.Count);
        Assert.All(spans, s => Assert.Equal((19 * 2) - 1, s.Length));
    }

    private static string Repeat(string fragment) =>
        string.Concat(Enumerable.Repeat(fragment, Length / fragment.Length));
}
