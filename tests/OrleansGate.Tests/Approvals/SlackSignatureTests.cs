using System.Text;
using OrleansGate.Host.Approvals;

namespace OrleansGate.Tests.Approvals;

public sealed class SlackSignatureTests
{
    private const string Secret = "8f742231b10e8888abcd99yyyzzz85a5";
    private static readonly DateTimeOffset Now = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("payload=%7B%22type%22%3A%22block_actions%22%7D");

    [Theory]
    [InlineData(0)]
    [InlineData(-300)]
    [InlineData(300)]
    public void Correct_signature_within_five_minutes_is_accepted(int offsetSeconds)
    {
        var timestamp = Now.ToUnixTimeSeconds() + offsetSeconds;

        Assert.Equal(SlackSignatureResult.Valid, Verify(timestamp.ToString(), SlackSigning.Sign(Secret, timestamp, Body), Body));
    }

    [Fact]
    public void Signature_made_with_another_secret_is_refused_as_bad()
    {
        var timestamp = Now.ToUnixTimeSeconds();

        Assert.Equal(SlackSignatureResult.BadSignature, Verify(timestamp.ToString(), SlackSigning.Sign("another-secret", timestamp, Body), Body));
    }

    [Fact]
    public void Altered_body_is_refused_as_bad_signature()
    {
        var timestamp = Now.ToUnixTimeSeconds();
        var signature = SlackSigning.Sign(Secret, timestamp, Body);
        var altered = Body.ToArray();
        altered[^2] ^= 1;

        Assert.Equal(SlackSignatureResult.BadSignature, Verify(timestamp.ToString(), signature, altered));
    }

    [Fact]
    public void Signature_of_another_timestamp_is_refused_as_bad()
    {
        var timestamp = Now.ToUnixTimeSeconds();

        Assert.Equal(SlackSignatureResult.BadSignature, Verify(timestamp.ToString(), SlackSigning.Sign(Secret, timestamp - 1, Body), Body));
    }

    [Theory]
    [InlineData(null, "v0=00")]
    [InlineData("1740830400", null)]
    [InlineData("", "")]
    public void Missing_header_is_refused_as_missing(string? timestamp, string? signature) =>
        Assert.Equal(SlackSignatureResult.MissingHeader, Verify(timestamp, signature, Body));

    [Theory]
    [InlineData(-360)]
    [InlineData(360)]
    public void Timestamp_six_minutes_off_is_refused_as_stale_even_when_correctly_signed(int offsetSeconds)
    {
        var timestamp = Now.ToUnixTimeSeconds() + offsetSeconds;

        Assert.Equal(SlackSignatureResult.StaleTimestamp, Verify(timestamp.ToString(), SlackSigning.Sign(Secret, timestamp, Body), Body));
    }

    [Theory]
    [InlineData("12:00")]
    [InlineData("-1740830400")]
    [InlineData("99999999999999999999999")]
    public void Timestamp_that_is_not_unix_seconds_is_refused_as_malformed(string timestamp) =>
        Assert.Equal(SlackSignatureResult.MalformedTimestamp, Verify(timestamp, "v0=00", Body));

    [Theory]
    [InlineData("v1=")]
    [InlineData("v0=zz")]
    [InlineData("")]
    public void Signature_not_in_v0_hex_form_is_refused_as_bad(string prefix)
    {
        var timestamp = Now.ToUnixTimeSeconds();
        var hex = SlackSigning.Sign(Secret, timestamp, Body)[3..];

        Assert.Equal(SlackSignatureResult.BadSignature, Verify(timestamp.ToString(), prefix + hex, Body));
    }

    private static SlackSignatureResult Verify(string? timestamp, string? signature, byte[] body) =>
        SlackSignature.Verify(timestamp, signature, body, Encoding.UTF8.GetBytes(Secret), Now);
}
