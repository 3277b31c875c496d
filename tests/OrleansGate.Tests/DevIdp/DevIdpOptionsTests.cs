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
