using OrleansGate.Policy.Masking;

namespace OrleansGate.Policy.Tests.Masking;

public sealed class EmailDetectorTests
{
    private static readonly EmailDetector Detector = new();

    [Fact]
    public void Address_ending_a_sentence_is_found_without_the_period()
    {
        Assert.Equal(["jane@example.com"], Found.By(Detector, "Write to jane@example.com."));
    }

    [Fact]
    public void Tags_dots_and_subdomains_are_part_of_the_address()
    {
        Assert.Equal(["john.doe+orders@mail.example.co.uk"], Found.By(Detector, "<john.doe+orders@mail.example.co.uk>"));
    }

    [Fact]
    public void Every_address_in_a_list_is_found()
    {
        Assert.Equal(["a@b.io", "c.d@e-f.org"], Found.By(Detector, "a@b.io, c.d@e-f.org;x@y"));
    }

    [Theory]
    [InlineData("user@localhost")]
    [InlineData("follow @orleans on example.com")]
    [InlineData("@example.com")]
    [InlineData("a@b.c")]
    [InlineData("a@-b.com")]
    [InlineData("a@b..com")]
    [InlineData("a@10.0.0.1")]
    [InlineData("no at sign here.com")]
    public void Text_without_a_local_part_and_dotted_domain_is_not_an_address(string value)
    {
        Assert.Empty(Found.By(Detector, value));
    }
}
