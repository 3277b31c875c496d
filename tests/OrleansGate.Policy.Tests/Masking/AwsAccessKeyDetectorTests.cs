using OrleansGate.Policy.Masking;

namespace OrleansGate.Policy.Tests.Masking;

public sealed class AwsAccessKeyDetectorTests
{
    private static readonly AwsAccessKeyDetector Detector = new();

    [Theory]
    [InlineData("AKIAIOSFODNN7EXAMPLE")]
    [InlineData("ASIAY34FZKBOKMUTVV7A")]
    [InlineData("AROA3XFRBF535PLBIFPI")]
    public void Key_id_with_a_known_prefix_is_found(string key)
    {
        Assert.Equal([key], Found.By(Detector, $"aws_access_key_id={key};"));
    }

    [Theory]
    [InlineData("AKIBIOSFODNN7EXAMPLE")]
    [InlineData("AKIAiosfodnn7example")]
    [InlineData("AKIAIOSFODNN7EXAMPL")]
    [InlineData("XAKIAIOSFODNN7EXAMPLE")]
    [InlineData("AKIAIOSFODNN7EXAMPLEX")]
    public void Unknown_prefix_lower_case_wrong_length_or_longer_word_is_not_found(string value)
    {
        Assert.Empty(Found.By(Detector, value));
    }
}
