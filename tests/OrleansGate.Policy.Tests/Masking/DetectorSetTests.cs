using OrleansGate.Policy.Masking;

namespace OrleansGate.Policy.Tests.Masking;

public sealed class DetectorSetTests
{
    private static readonly Dictionary<string, string> NoPatterns = [];

    [Fact]
    public void Unknown_name_is_refused_listing_the_built_in_names()
    {
        var error = Assert.Throws<DetectorConfigurationException>(() => DetectorSet.Create(["email", "passport"], NoPatterns));

        Assert.Equal(
            "unknown detector 'passport': the built-in detectors are email, card, us_ssn, iban, aws_access_key, jwt, "
            + "pem_private_key, and a custom one needs a pattern",
            error.Message);
    }

    [Fact]
    public void Name_listed_twice_is_refused()
    {
        var error = Assert.Throws<DetectorConfigurationException>(() => DetectorSet.Create(["card", "card"], NoPatterns));

        Assert.Equal("detector 'card' is listed more than once", error.Message);
    }

    [Fact]
    public void Custom_pattern_with_a_built_in_name_is_refused()
    {
        var error = Assert.Throws<DetectorConfigurationException>(
            () => DetectorSet.Create([], new Dictionary<string, string> { ["email"] = "@" }));

        Assert.Contains("'email' has the name of a built-in detector", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refused_custom_pattern_fails_the_whole_set()
    {
        Assert.Throws<DetectorConfigurationException>(
            () => DetectorSet.Create(["email"], new Dictionary<string, string> { ["twice"] = @"(\w)\1" }));
    }

    [Fact]
    public void Only_named_built_ins_run()
    {
        var set = DetectorSet.Create(["email"], NoPatterns);

        Assert.Equal(["a@example.com"], Found.By(set, "a@example.com 4111 1111 1111 1111 123-45-6789"));
    }

    [Fact]
    public void Custom_patterns_run_whether_or_not_they_are_named()
    {
        var patterns = new Dictionary<string, string> { ["employee_id"] = @"EMP-\d{6}" };

        Assert.Equal(["EMP-000123"], Found.By(DetectorSet.Create([], patterns), "id EMP-000123"));
        Assert.Equal(["EMP-000123"], Found.By(DetectorSet.Create(["employee_id"], patterns), "id EMP-000123"));
    }

    [Fact]
    public void All_built_ins_find_their_values_in_one_text_in_order_of_position()
    {
        var set = DetectorSet.Create(DetectorSet.BuiltInNames, NoPatterns);
        var value = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"
            + "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.sig AKIAIOSFODNN7EXAMPLE GB82WEST12345698765432 "
            + "123-45-6789, 4111 1111 1111 1111, ops@example.com";

        var spans = new List<DetectedSpan>();
        set.Detect(value, spans);

        Assert.Equal(
            ["pem_private_key", "jwt", "aws_access_key", "iban", "us_ssn", "card", "email"],
            spans.Select(s => s.Detector));
    }

    [Fact]
    public void Overlapping_finds_are_merged_under_the_name_of_the_first()
    {
        var patterns = new Dictionary<string, string> { ["domain"] = @"example\.com and \w+", ["digits"] = @"1111 1111" };
        var set = DetectorSet.Create(["email", "card"], patterns);
        var value = "ops@example.com and more; 4111 1111 1111 1111";

        var spans = new List<DetectedSpan>();
        set.Detect(value, spans);

        Assert.Equal([new DetectedSpan(0, 24, "email"), new DetectedSpan(26, 19, "card")], spans);
    }

    [Fact]
    public void Touching_finds_stay_apart()
    {
        var patterns = new Dictionary<string, string> { ["left"] = "ab", ["right"] = "cd" };
        var spans = new List<DetectedSpan>();

        DetectorSet.Create([], patterns).Detect("abcd", spans);

        Assert.Equal([new DetectedSpan(0, 2, "left"), new DetectedSpan(2, 2, "right")], spans);
    }

    [Fact]
    public void Finds_are_appended_after_what_the_list_already_holds()
    {
        var earlier = new DetectedSpan(50, 3, "card");
        var spans = new List<DetectedSpan> { earlier };

        DetectorSet.Create(["email", "us_ssn"], NoPatterns).Detect("123-45-6789 a@example.com", spans);

        Assert.Equal([earlier, new DetectedSpan(0, 11, "us_ssn"), new DetectedSpan(12, 13, "email")], spans);
    }

    [Fact]
    public void Value_without_finds_allocates_nothing()
    {
        var set = DetectorSet.Create(DetectorSet.BuiltInNames, NoPatterns);
        var spans = new List<DetectedSpan>();
        const string value = "order 12 of 2024-01-31 to user@localhost, ref eyJ-1 -----BEGIN CERTIFICATE----- AKIA 123-45";
        set.Detect(value, spans);

        var before = GC.GetAllocatedBytesForCurrentThread();
        set.Detect(value, spans);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal((0, 0L), (spans.Count, allocated));
    }

    [Fact]
    public void Secret_past_a_mebibyte_of_text_is_still_found()
    {
        var value = new string('x', 1 << 20) + " AKIAIOSFODNN7EXAMPLE";

        var spans = new List<DetectedSpan>();
        DetectorSet.Create(DetectorSet.BuiltInNames, NoPatterns).Detect(value, spans);

        Assert.Equal([new DetectedSpan((1 << 20) + 1, 20, "aws_access_key")], spans);
    }
}
