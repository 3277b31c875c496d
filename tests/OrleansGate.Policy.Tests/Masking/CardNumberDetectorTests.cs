using OrleansGate.Policy.Masking;

namespace OrleansGate.Policy.Tests.Masking;

public sealed class CardNumberDetectorTests
{
    private static readonly CardNumberDetector Detector = new();

    [Theory]
    [InlineData("4111 1111 1111 1111")]
    [InlineData("4111-1111-1111-1111")]
    [InlineData("4111111111111111")]
    [InlineData("3782 822463 10005")]
    [InlineData("4222222222222")]
    [InlineData("5500 0000 0000 0004")]
    [InlineData("6221260000000000001")]
    public void Luhn_valid_number_of_13_to_19_digits_is_found(string card)
    {
        Assert.Equal([card], Found.By(Detector, $"paid with {card}, thanks"));
    }

    [Theory]
    [InlineData("4111 1111 1111 1112")]
    [InlineData("4111111111111112")]
    [InlineData("411111111111")]
    public void Luhn_invalid_or_short_number_is_not_found(string value)
    {
        Assert.Empty(Found.By(Detector, value));
    }

    [Fact]
    public void Contiguous_run_of_more_than_19_digits_is_not_a_card_even_when_it_passes_luhn()
    {
        Assert.True(CardNumberDetector.PassesLuhn("00004111111111111111"));
        Assert.Empty(Found.By(Detector, "00004111111111111111"));
    }

    [Fact]
    public void Card_followed_by_another_group_is_found_without_it()
    {
        Assert.Equal(["4111 1111 1111 1111"], Found.By(Detector, "4111 1111 1111 1111 2031"));
    }

    [Theory]
    [InlineData("ID4111111111111111")]
    [InlineData("4111111111111111x")]
    [InlineData("4111  1111 1111 1111")]
    public void Digits_glued_to_letters_or_split_by_double_spaces_are_not_a_card(string value)
    {
        Assert.Empty(Found.By(Detector, value));
    }

    [Fact]
    public void Two_cards_in_one_value_are_both_found()
    {
        Assert.Equal(
            ["4111111111111111", "5500-0000-0000-0004"],
            Found.By(Detector, "old 4111111111111111; new 5500-0000-0000-0004"));
    }
}
