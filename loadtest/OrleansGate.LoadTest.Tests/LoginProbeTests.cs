namespace OrleansGate.LoadTest.Tests;

public sealed class LoginProbeTests
{
    [Theory]
    [InlineData("logins", "127.0.0.1:5432", "demo", "agent", "http://127.0.0.1:1/token", "0", "4")]
    [InlineData("logins", "127.0.0.1:5432", "demo", "agent", "http://127.0.0.1:1/token", "10", "-1")]
    [InlineData("logins", "127.0.0.1:5432", "demo", "agent", "http://127.0.0.1:1/token", "10")]
    public async Task Wrong_arguments_are_refused_with_the_usage(params string[] args)
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => LoginProbe.RunAsync(args, TextWriter.Null, CancellationToken.None));
        Assert.StartsWith("usage: orleansgate-loadtest logins", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.1:0")]
    [InlineData("127.0.0.1:70000")]
    [InlineData("127.0.0.1:5432,:5433")]
    public async Task An_endpoint_that_is_not_host_and_port_is_named(string endpoints)
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => LoginProbe.RunAsync(
            ["logins", endpoints, "demo", "agent", "http://127.0.0.1:1/token", "10", "2"], TextWriter.Null, CancellationToken.None));
        Assert.Contains("is not HOST:PORT", error.Message, StringComparison.Ordinal);
    }
}
