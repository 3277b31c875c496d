using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OrleansGate.Edge.Identity;
using OrleansGate.Host.Commands;
using OrleansGate.Host.DevIdp;
using TokenValidationResult = OrleansGate.Edge.Identity.TokenValidationResult;

namespace OrleansGate.Tests.DevIdp;

/// <summary>Key rotation of the development IdP, observed by the gateway's validator over real HTTP.</summary>
public sealed class DevIdpKeyRotationTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2031, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly TempDirectory _keys = new();
    private readonly FakeTimeProvider _time = new(Now);
    private readonly CountingHandler _http = new();

    public void Dispose()
    {
        _http.Dispose();
        _keys.Dispose();
    }

    [Fact]
    public async Task Login_with_the_rotated_key_succeeds_after_exactly_one_refetch_and_old_tokens_still_validate()
    {
        await using var server = await DevIdpServer.StartAsync(_keys.Path, _time);
        var validator = CreateValidator(server.Issuer);
        var before = await IssueAsync(server);
        Assert.IsType<TokenValidationResult.Valid>(await validator.ValidateAsync(before, default));
        Assert.Equal(1, _http.Count("/v1/keys"));

        var newKid = await RotateWithCliAsync();
        _time.Advance(TimeSpan.FromMinutes(1));
        var after = await IssueAsync(server);

        Assert.Equal(newKid, (string?)Jwt.Header(after)["kid"]);
        Assert.NotEqual((string?)Jwt.Header(before)["kid"], newKid);
        Assert.IsType<TokenValidationResult.Valid>(await validator.ValidateAsync(after, default));
        Assert.Equal(2, _http.Count("/v1/keys"));

        // Tokens signed before the rotation stay valid while the old key is in its grace period, with no more fetches.
        Assert.IsType<TokenValidationResult.Valid>(await validator.ValidateAsync(before, default));
        Assert.IsType<TokenValidationResult.Valid>(await validator.ValidateAsync(await IssueAsync(server), default));
        Assert.Equal(2, _http.Count("/v1/keys"));
        Assert.Equal([newKid, (string)Jwt.Header(before)["kid"]!], await KeyIdsAsync(server));
    }

    [Fact]
    public async Task Replaced_key_leaves_the_jwks_after_the_grace_period()
    {
        await using var server = await DevIdpServer.StartAsync(_keys.Path, _time, s => s["OrleansGate:DevIdp:PreviousKeyGrace"] = "00:20:00");
        var oldKid = Assert.Single(await KeyIdsAsync(server));

        var newKid = await RotateWithCliAsync();
        Assert.Equal([newKid, oldKid], await KeyIdsAsync(server));

        _time.Advance(TimeSpan.FromMinutes(20) - TimeSpan.FromSeconds(1));
        Assert.Equal([newKid, oldKid], await KeyIdsAsync(server));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal([newKid], await KeyIdsAsync(server));
    }

    [Fact]
    public async Task Rotate_key_without_an_existing_key_fails_with_a_clear_error()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var exitCode = await RotateKeyCommand.RunAsync(_keys.Path, stdout, stderr);

        Assert.Equal(1, exitCode);
        Assert.Contains("no signing key", stderr.ToString(), StringComparison.Ordinal);
        Assert.Equal("", stdout.ToString());
    }

    private async Task<string> RotateWithCliAsync()
    {
        var config = Path.Combine(_keys.Path, "rotate.json");
        await File.WriteAllTextAsync(config, new JsonObject
        {
            ["OrleansGate"] = new JsonObject { ["DevIdp"] = new JsonObject { ["KeyDirectory"] = _keys.Path } },
        }.ToJsonString());
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var exitCode = await CommandLine.RunAsync(["--config", config, "idp", "rotate-key"], stdout, stderr, default);

        Assert.Equal("", stderr.ToString());
        Assert.Equal(0, exitCode);
        return stdout.ToString().Trim();
    }

    private JwtTokenValidator CreateValidator(string issuer)
    {
        var options = new IdentityOptions
        {
            Issuers = [new IssuerOptions { Issuer = issuer, Audiences = [DevIdpServer.Audience], RequireHttps = false }],
        };
        var keys = new DiscoveryIssuerKeySource(new HttpClient(_http, disposeHandler: false), _time, NullLogger<DiscoveryIssuerKeySource>.Instance);
        return new JwtTokenValidator(Options.Create(options), keys, _time, NullLogger<JwtTokenValidator>.Instance);
    }

    private static async Task<string> IssueAsync(DevIdpServer server)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/token")
        {
            Content = new FormUrlEncodedContent([new("grant_type", "client_credentials")]),
        };
        request.Headers.Authorization = DevIdpTokenEndpointTests.Basic(DevIdpServer.ClientId, DevIdpServer.ClientSecret);
        using var response = await server.Http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return (string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["access_token"]!;
    }

    private static async Task<string[]> KeyIdsAsync(DevIdpServer server) =>
        [.. JsonNode.Parse(await server.Http.GetStringAsync("v1/keys"))!["keys"]!.AsArray().Select(k => (string)k!["kid"]!)];
}
