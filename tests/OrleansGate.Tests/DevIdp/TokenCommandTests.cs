using OrleansGate.Host.DevIdp;

namespace OrleansGate.Tests.DevIdp;

public sealed class TokenCommandTests
{
    [Theory]
    [InlineData("http://idp.example.test/oauth2/default")]
    [InlineData("http://10.1.2.3:8080/oauth2/default")]
    public async Task Plain_http_to_a_non_loopback_issuer_is_refused_before_sending_the_secret(string issuer)
    {
        using var handler = new RecordingHandler();
        using var http = new HttpClient(handler);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var exitCode = await TokenCommand.RunAsync(http, issuer, "agent", "top-secret", stdout, stderr, default);

        Assert.Equal(2, exitCode);
        Assert.Equal(0, handler.Requests);
        Assert.Contains("plain http", stderr.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("top-secret", stderr.ToString(), StringComparison.Ordinal);
        Assert.Equal("", stdout.ToString());
    }

    [Theory]
    [InlineData("", "agent", "secret")]
    [InlineData("https://idp.example.test", "", "secret")]
    [InlineData("https://idp.example.test", "agent", "")]
    [InlineData("not a url", "agent", "secret")]
    public async Task Missing_or_malformed_arguments_are_a_usage_error(string issuer, string clientId, string secret)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var exitCode = await TokenCommand.RunAsync(issuer, clientId, secret, stdout, stderr, default);

        Assert.Equal(2, exitCode);
        Assert.StartsWith("error: ", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unreachable_issuer_is_a_one_line_error()
    {
        using var handler = new RecordingHandler { Failure = new HttpRequestException("Connection refused (127.0.0.1:9)") };
        using var http = new HttpClient(handler);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var exitCode = await TokenCommand.RunAsync(http, "http://127.0.0.1:9/oauth2/default", "agent", "top-secret", stdout, stderr, default);

        Assert.Equal(1, exitCode);
        var line = Assert.Single(stderr.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("Connection refused", line, StringComparison.Ordinal);
        Assert.Contains("/.well-known/openid-configuration", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Secret_echoed_back_by_a_server_is_redacted()
    {
        using var handler = new RecordingHandler { Failure = new HttpRequestException("server said: top-secret\nsecond line") };
        using var http = new HttpClient(handler);
        using var stderr = new StringWriter();

        await TokenCommand.RunAsync(http, "https://idp.example.test", "agent", "top-secret", TextWriter.Null, stderr, default);

        Assert.DoesNotContain("top-secret", stderr.ToString(), StringComparison.Ordinal);
        Assert.Single(stderr.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
    }
}
