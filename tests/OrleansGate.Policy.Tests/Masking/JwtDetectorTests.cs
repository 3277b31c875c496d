using OrleansGate.Policy.Masking;

namespace OrleansGate.Policy.Tests.Masking;

public sealed class JwtDetectorTests
{
    private const string Token =
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
        + ".eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ"
        + ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";

    private static readonly JwtDetector Detector = new();

    [Fact]
    public void Signed_token_in_a_header_is_found_without_the_sentence_period()
    {
        Assert.Equal([Token], Found.By(Detector, $"Authorization: Bearer {Token}."));
    }

    [Fact]
    public void Unsigned_token_with_an_empty_signature_is_found()
    {
        const string unsigned = "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.";
        Assert.Equal([unsigned], Found.By(Detector, $"{unsigned} "));
    }

    [Fact]
    public void Five_part_jwe_is_found_whole()
    {
        const string jwe = "eyJhbGciOiJSU0EtT0FFUCJ9.OKOawDo13gRp2o.48V1_ALb6US04U3b.5eym8TW_c8SuK.XFBoMYUZodetZdvTiFvSkQ";
        Assert.Equal([jwe], Found.By(Detector, jwe));
    }

    [Theory]
    [InlineData("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0")]
    [InlineData("eyJhbGciOiJIUzI1NiJ9..sig")]
    [InlineData("abc.def.ghi")]
    [InlineData("xeyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig")]
    [InlineData("version 1.eyJ.x")]
    public void Two_segments_empty_payload_or_header_not_starting_a_token_is_not_found(string value)
    {
        Assert.Empty(Found.By(Detector, value));
    }
}
