using OrleansGate.Policy.Masking;

namespace OrleansGate.Policy.Tests.Masking;

public sealed class IbanDetectorTests
{
    private static readonly IbanDetector Detector = new();

    [Theory]
    [InlineData("GB82 WEST 1234 5698 7654 32")]
    [InlineData("GB82WEST12345698765432")]
    [InlineData("DE89 3704 0044 0532 0130 00")]
    [InlineData("FR14 2004 1010 0505 0001 3M02 606")]
    [InlineData("NL91ABNA0417164300")]
    public void Iban_passing_mod_97_is_found_printed_or_compact(string iban)
    {
        Assert.Equal([iban], Found.By(Detector, $"pay to {iban}, ref 7"));
    }

    [Theory]
    [InlineData("GB82 WEST 1234 5698 7654 33")]
    [InlineData("GB82WEST12345698765433")]
    [InlineData("GB83 WEST 1234 5698 7654 32")]
    public void One_changed_character_fails_the_checksum(string value)
    {
        Assert.Empty(Found.By(Detector, value));
    }

    [Fact]
    public void Upper_case_words_after_a_printed_iban_are_not_part_of_it()
    {
        Assert.Equal(["GB82 WEST 1234 5698 7654 32"], Found.By(Detector, "GB82 WEST 1234 5698 7654 32 FOR RENT"));
    }

    [Theory]
    [InlineData("GB82 WEST 1234")]
    [InlineData("XGB82WEST12345698765432")]
    [InlineData("GB82WEST12345698765432X")]
    [InlineData("GB82 WES T123 4569 8765 432")]
    public void Too_short_glued_or_misgrouped_text_is_not_found(string value)
    {
        Assert.Empty(Found.By(Detector, value));
    }
}
