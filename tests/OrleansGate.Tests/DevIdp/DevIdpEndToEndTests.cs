using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OrleansGate.Edge.Identity;
using OrleansGate.Host.DevIdp;
using TokenValidationResult = OrleansGate.Edge.Identity.TokenValidationResult;

namespace OrleansGate.Tests.DevIdp;

/// <summary>Tokens from the development IdP, checked by the gateway's own validator with keys fetched over real HTTP.</summary>
public sealed class DevIdpEndToEndTests : IDisposable
{
    // Far from the real date: if either side read the system clock, validation would fail.
    private static readonly DateTimeOffset Now = new(2031, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly TempDirectory _keys = new();
    private readonly FakeTimeProvider _time = new(Now);
    private readonly HttpClient _discoveryHttp = new();

    public void Dispose()
    {
        _discoveryHttp.Dispose();
        _keys.Dispose();
    }

    [Fact]
    public async Task Issued_token_validates_through_discovery_and_jwks_over_http()
    {
        await using var server = await DevIdpServer.StartAsync(_keys.Path, _time);
        var token = await IssueAsync(server);

        var result = await CreateValidator(server.Issuer).ValidateAsync(token, default);

        var valid = Assert.IsType<TokenValidationResult.Valid>(result);
        Assert.Equal(server.Issuer, valid.Agent.Issuer);
        Assert.Equal(DevIdpServer.ClientId, valid.Agent.Subject);
        Assert.Equal(["dba", "readers"], valid.Agent.Groups);
        Assert.Equal((string?)Jwt.Claims(token)["jti"], valid.TokenId);
        Assert.Equal(Now.AddMinutes(15), valid.Expires);
    }

    [Fact]
    public async Task Issued_token_with_a_changed_claim_fails_signature_check_against_the_published_key()
    {
        await using var server = await DevIdpServer.StartAsync(_keys.Path, _time);
        var token = await IssueAsync(server);
        var claims = Jwt.Claims(token);
        claims["groups"] = new JsonArray("admin");
        var parts = token.Split('.');
        var tampered = $"{parts[0]}.{System.Buffers.Text.Base64Url.EncodeToString(System.Text.Encoding.UTF8.GetBytes(claims.ToJsonString()))}.{parts[2]}";

        var result = await CreateValidator(server.Issuer).ValidateAsync(tampered, default);

        Assert.Equal("signature invalid", Assert.IsType<TokenValidationResult.Invalid>(result).Reason);
    }

    [Fact]
    public async Task Issued_token_expires_after_the_configured_lifetime()
    {
        await using var server = await DevIdpServer.StartAsync(_keys.Path, _time, s => s["OrleansGate:DevIdp:TokenLifetime"] = "00:05:00");
        var token = await IssueAsync(server);
        var validator = CreateValidator(server.Issuer);
        Assert.IsType<TokenValidationResult.Valid>(await validator.ValidateAsync(token, default));

        _time.Advance(TimeSpan.FromMinutes(6) + TimeSpan.FromSeconds(1));

        Assert.Equal("token expired", Assert.IsType<TokenValidationResult.Invalid>(await validator.ValidateAsync(token, default)).Reason);
    }

    [Fact]
    public async Task Signing_key_persists_across_instances_sharing_a_key_directory()
    {
        string firstKid;
        string token;
        await using (var first = await DevIdpServer.StartAsync(_keys.Path, _time))
        {
            firstKid = await KeyIdAsync(first);
            token = await IssueAsync(first);
        }

        await using var second = await DevIdpServer.StartAsync(_keys.Path, _time);
        using var otherKeys = new TempDirectory();
        await using var unrelated = await DevIdpServer.StartAsync(otherKeys.Path, _time);

        Assert.Equal(firstKid, await KeyIdAsync(second));
        Assert.NotEqual(firstKid, await KeyIdAsync(unrelated));
        Assert.Equal(firstKid, (string?)Jwt.Header(await IssueAsync(second))["kid"]);
        Assert.Equal(firstKid, (string?)Jwt.Header(token)["kid"]);
    }

    [Fact]
    public async Task Token_command_prints_only_a_token_that_validates()
    {
        await using var server = await DevIdpServer.StartAsync(_keys.Path, _time);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var exitCode = await TokenCommand.RunAsync(server.Issuer, DevIdpServer.ClientId, DevIdpServer.ClientSecret, stdout, stderr, default);

        Assert.Equal(0, exitCode);
        Assert.Equal("", stderr.ToString());
        var output = stdout.ToString();
        Assert.EndsWith("\n", output, StringComparison.Ordinal);
        var token = output[..^1];
        Assert.DoesNotContain('\n', token);
        Assert.DoesNotContain('\r', token);
        var result = await CreateValidator(server.Issuer).ValidateAsync(token, default);
        Assert.Equal(DevIdpServer.ClientId, Assert.IsType<TokenValidationResult.Valid>(result).Agent.Subject);
    }

    [Fact]
    public async Task Token_command_with_a_wrong_secret_prints_one_line_error_without_the_secret()
    {
        await using var server = await DevIdpServer.StartAsync(_keys.Path, _time);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        const string WrongSecret = "wrong-but-secret-value";

        var exitCode = await TokenCommand.RunAsync(server.Issuer, DevIdpServer.ClientId, WrongSecret, stdout, stderr, default);

        Assert.NotEqual(0, exitCode);
        Assert.Equal("", stdout.ToString());
        var line = Assert.Single(stderr.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("401", line, StringComparison.Ordinal);
        Assert.Contains("invalid_client", line, StringComparison.Ordinal);
        Assert.DoesNotContain(WrongSecret, line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_command_for_an_issuer_with_a_different_discovery_issuer_fails()
    {
        await using var server = await DevIdpServer.StartAsync(_keys.Path, _time);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        // Same server, but named with localhost instead of 127.0.0.1: the discovery document names another issuer.
        var alias = server.Issuer.Replace("127.0.0.1", "localhost", StringComparison.Ordinal);
        var exitCode = await TokenCommand.RunAsync(alias, DevIdpServer.ClientId, DevIdpServer.ClientSecret, stdout, stderr, default);

        Assert.NotEqual(0, exitCode);
        Assert.Contains("is for issuer", stderr.ToString(), StringComparison.Ordinal);
        Assert.Equal("", stdout.ToString());
    }

    private JwtTokenValidator CreateValidator(string issuer)
    {
        var options = new IdentityOptions
        {
            Issuers = [new IssuerOptions { Issuer = issuer, Audiences = [DevIdpServer.Audience], RequireHttps = false }],
        };
        var keys = new DiscoveryIssuerKeySource(_discoveryHttp, NullLogger<DiscoveryIssuerKeySource>.Instance);
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

    private static async Task<string> KeyIdAsync(DevIdpServer server) =>
        (string)JsonNode.Parse(await server.Http.GetStringAsync("v1/keys"))!["keys"]![0]!["kid"]!;
}
