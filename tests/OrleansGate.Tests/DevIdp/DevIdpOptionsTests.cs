using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OrleansGate.Host.DevIdp;

namespace OrleansGate.Tests.DevIdp;

public sealed class DevIdpOptionsTests
{
    [Theory]
    [InlineData("OrleansGate:DevIdp:Issuer", "http://idp.example.test/oauth2/default", "plain http on a non-loopback host")]
    [InlineData("OrleansGate:DevIdp:Issuer", "not-a-url", "must be an absolute http(s) URL")]
    [InlineData("OrleansGate:DevIdp:KeyDirectory", "", "KeyDirectory is required")]
    [InlineData("OrleansGate:DevIdp:TokenLifetime", "2.00:00:00", "TokenLifetime must be between")]
    [InlineData("OrleansGate:DevIdp:PreviousKeyGrace", "-00:00:01", "PreviousKeyGrace must not be negative")]
    [InlineData("OrleansGate:DevIdp:Clients:1:ClientId", DevIdpServer.ClientId, "configured more than once")]
    [InlineData("OrleansGate:DevIdp:Clients:1:ClientSecret", "", "ClientSecret is required")]
    [InlineData("OrleansGate:DevIdp:Clients:0:Claims:sub", "someone-else", "Claims:sub names a claim the IdP sets itself")]
    public async Task Enabled_idp_with_unsafe_or_unusable_settings_fails_at_startup(string key, string value, string expected)
    {
        using var keys = new TempDirectory();

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(
            () => DevIdpServer.StartAsync(keys.Path, new FakeTimeProvider(), s => s[key] = value));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Users:3:Username=alice|Users:3:PasswordEnv=" + DevIdpServer.BobPasswordEnv, "Users:3: user 'alice' is configured more than once")]
    [InlineData("Users:3:Username=erin", "Users:3: no password for user 'erin': no PasswordEnv or PasswordFile is set")]
    [InlineData("Users:3:Username=erin|Users:3:PasswordEnv=ORLEANSGATE_TESTS_DEVIDP_UNSET_VARIABLE", "environment variable ORLEANSGATE_TESTS_DEVIDP_UNSET_VARIABLE is not set or empty")]
    [InlineData("Users:3:Username=erin|Users:3:PasswordFile=/nonexistent/orleansgate/erin.password", "password file /nonexistent/orleansgate/erin.password cannot be read")]
    [InlineData("Users:0:PasswordEnv=" + DevIdpServer.BobPasswordEnv, "Users:0: set PasswordEnv or PasswordFile, not both")]
    [InlineData("Users:0:Username= alice", "Users:0:Username is required and must have no control characters or surrounding spaces")]
    [InlineData("Users:0:Username=" + DevIdpServer.ClientId, "has the id of a configured client")]
    [InlineData("Users:0:Groups:2=", "Users:0:Groups must not contain empty names")]
    [InlineData("Users:0:Claims:groups=admin", "Users:0:Claims:groups names a claim the IdP sets itself")]
    [InlineData("PublicClients:1:ClientId=" + DevIdpServer.PublicClientId, "PublicClients:1: client 'orleansgate-approvals' is configured more than once")]
    [InlineData("PublicClients:1:ClientId=" + DevIdpServer.ClientId, "PublicClients:1: client 'agent-ci' is configured more than once")]
    [InlineData("PublicClients:2:ClientId=no-uris", "PublicClients:2:RedirectUris must name at least one URI")]
    [InlineData("PublicClients:0:RedirectUris:2=http://approvals.example.test/cb", "uses plain http on a non-loopback host")]
    [InlineData("PublicClients:0:RedirectUris:2=https://approvals.example.test/cb#x", "must not have a fragment")]
    [InlineData("PublicClients:0:RedirectUris:2=/approvals/callback", "must be an absolute http(s) URL")]
    public async Task Enabled_idp_with_bad_users_or_public_clients_fails_at_startup_naming_the_entry(string settings, string expected)
    {
        using var keys = new TempDirectory();
        using var passwords = new TempDirectory();
        var withUsers = DevIdpServer.WithLoginUsers(passwords.Path);

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => DevIdpServer.StartAsync(keys.Path, new FakeTimeProvider(), s =>
        {
            withUsers(s);
            foreach (var setting in settings.Split('|'))
            {
                var (key, value) = (setting[..setting.IndexOf('=', StringComparison.Ordinal)], setting[(setting.IndexOf('=', StringComparison.Ordinal) + 1)..]);
                s["OrleansGate:DevIdp:" + key] = value;
            }
        }));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Enabled_idp_with_users_and_public_clients_starts()
    {
        using var keys = new TempDirectory();
        using var passwords = new TempDirectory();

        await using var server = await DevIdpServer.StartAsync(keys.Path, new FakeTimeProvider(), DevIdpServer.WithLoginUsers(passwords.Path));

        Assert.StartsWith("http://127.0.0.1:", server.Issuer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Disabled_idp_maps_no_endpoints_and_creates_no_key()
    {
        using var keys = new TempDirectory();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Enabled"] = "false",
            ["Issuer"] = "http://127.0.0.1/oauth2/default",
            ["KeyDirectory"] = keys.Path,
        }).Build();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        builder.Services.AddDevIdp(configuration);
        await using var app = builder.Build();

        app.MapDevIdp();

        Assert.Empty(((IEndpointRouteBuilder)app).DataSources.SelectMany(d => d.Endpoints));
        Assert.Empty(Directory.GetFiles(keys.Path));
    }
}
