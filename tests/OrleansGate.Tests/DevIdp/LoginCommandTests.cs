using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OrleansGate.Host.DevIdp;

namespace OrleansGate.Tests.DevIdp;

/// <summary><c>idp login</c>: a development user signs in on the command line through the real authorization-code flow.</summary>
public sealed class LoginCommandTests : IAsyncLifetime
{
    private readonly TempDirectory _keys = new();
    private readonly TempDirectory _passwords = new();
    private DevIdpServer _server = null!;

    public async Task InitializeAsync() =>
        _server = await DevIdpServer.StartAsync(_keys.Path, new FakeTimeProvider(DateTimeOffset.UtcNow), DevIdpServer.WithLoginUsers(_passwords.Path));

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _keys.Dispose();
        _passwords.Dispose();
    }

    private DevIdpOptions Options => _server.Services.GetRequiredService<IOptionsMonitor<DevIdpOptions>>().CurrentValue;

    [Fact]
    public async Task Configured_user_signs_in_and_gets_an_access_token_naming_them_with_their_groups()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var code = await LoginCommand.RunAsync(Options, DevIdpServer.Alice, passwordFile: null, clientId: null, stdout, stderr, default);

        Assert.True(code == 0, stderr.ToString());
        var claims = Jwt.Claims(stdout.ToString().Trim());
        Assert.Equal(DevIdpServer.Alice, (string?)claims["sub"]);
        Assert.Contains("dba", claims["groups"]!.AsArray().Select(g => (string?)g));
        Assert.Equal(DevIdpServer.PublicClientId, (string?)claims["cid"]);
    }

    [Fact]
    public async Task Wrong_password_is_refused_with_exit_2_and_the_password_is_never_printed()
    {
        var wrong = Path.Combine(_passwords.Path, "wrong");
        await File.WriteAllTextAsync(wrong, "not-alices-password-4711\n");
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var code = await LoginCommand.RunAsync(Options, DevIdpServer.Alice, wrong, clientId: null, stdout, stderr, default);

        Assert.Equal(2, code);
        Assert.Empty(stdout.ToString());
        Assert.Contains("sign-in refused", stderr.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("not-alices-password-4711", stderr.ToString(), StringComparison.Ordinal);
    }
}
