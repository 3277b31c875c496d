using OrleansGate.Policy.Masking;

namespace OrleansGate.Policy.Tests.Masking;

public sealed class UsSsnDetectorTests
{
    private static readonly UsSsnDetector Detector = new();

    [Fact]
    public void Issued_number_in_a_sentence_is_found()
    {
        Assert.Equal(["123-45-6789"], Found.By(Detector, "SSN: 123-45-6789."));
    }

    [Fact]
    public void Adjacent_numbers_are_each_found()
    {
        Assert.Equal(["123-45-6789", "234-56-7890"], Found.By(Detector, "123-45-6789,234-56-7890"));
    }

    [Theory]
    [InlineData("000-12-3456")]
    [InlineData("666-12-3456")]
    [InlineData("900-12-3456")]
    [InlineData("999-12-3456")]
    [InlineData("123-00-4567")]
    [InlineData("123-45-0000")]
    public void Never_issued_area_group_or_serial_is_not_found(string value)
    {
        Assert.Empty(Found.By(Detector, value));
    }

    [Theory]
    [InlineData("1123-45-6789")]
    [InlineData("123-45-67890")]
    [InlineData("a123-45-6789")]
    [InlineData("123456789")]
    [InlineData("123-456-789")]
    [InlineData("12-345-6789")]
    public void Other_digit_shapes_are_not_found(string value)
    {
        Assert.Empty(Found.By(Detector, value));
    }
}
