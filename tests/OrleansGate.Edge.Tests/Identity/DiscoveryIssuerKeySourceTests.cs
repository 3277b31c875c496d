using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OrleansGate.Edge.Identity;

namespace OrleansGate.Edge.Tests.Identity;

public sealed class DiscoveryIssuerKeySourceTests : IDisposable
{
    private const string Issuer = "https://idp.example.test/oauth2/default";
    private const string DiscoveryUrl = Issuer + "/.well-known/openid-configuration";
    private const string JwksUrl = Issuer + "/v1/keys";

    private readonly RSA _rsa = RSA.Create(2048);
    private readonly StubHttpHandler _http = new();

    public void Dispose()
    {
        _rsa.Dispose();
        _http.Dispose();
    }

    [Fact]
    public async Task Keys_are_read_from_the_jwks_named_by_the_discovery_document()
    {
        _http.Respond(DiscoveryUrl, Discovery(Issuer)).Respond(JwksUrl, Jwks("key-1"));

        var keys = await CreateSource().GetSigningKeysAsync(IssuerOptions(), default);

        var key = Assert.Single(keys);
        Assert.Equal("key-1", key.KeyId);
        Assert.Equal([DiscoveryUrl, JwksUrl], _http.Requested);
    }

    [Fact]
    public async Task Unreachable_jwks_fails_with_a_clear_exception()
    {
        _http.Respond(DiscoveryUrl, Discovery(Issuer)).Respond(JwksUrl, "{}", HttpStatusCode.InternalServerError);

        var ex = await Assert.ThrowsAsync<IssuerKeysUnavailableException>(async () => await CreateSource().GetSigningKeysAsync(IssuerOptions(), default));

        Assert.Equal(Issuer, ex.Issuer);
        Assert.Contains(DiscoveryUrl, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keys_are_fetched_again_after_a_failed_attempt()
    {
        var source = CreateSource();
        _http.Respond(DiscoveryUrl, "{}", HttpStatusCode.ServiceUnavailable);
        await Assert.ThrowsAsync<IssuerKeysUnavailableException>(async () => await source.GetSigningKeysAsync(IssuerOptions(), default));

        _http.Respond(DiscoveryUrl, Discovery(Issuer)).Respond(JwksUrl, Jwks("key-1"));
        var keys = await source.GetSigningKeysAsync(IssuerOptions(), default);

        Assert.Equal("key-1", Assert.Single(keys).KeyId);
    }

    [Fact]
    public async Task Discovery_document_of_another_issuer_is_refused()
    {
        _http.Respond(DiscoveryUrl, Discovery("https://evil.example.test")).Respond(JwksUrl, Jwks("key-1"));

        var ex = await Assert.ThrowsAsync<IssuerKeysUnavailableException>(async () => await CreateSource().GetSigningKeysAsync(IssuerOptions(), default));

        Assert.Contains("names issuer 'https://evil.example.test'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Jwks_over_plain_http_is_refused_when_https_is_required()
    {
        var discovery = JsonNode.Parse(Discovery(Issuer))!;
        discovery["jwks_uri"] = "http://idp.example.test/oauth2/default/v1/keys";
        _http.Respond(DiscoveryUrl, discovery.ToJsonString()).Respond("http://idp.example.test/oauth2/default/v1/keys", Jwks("key-1"));

        await Assert.ThrowsAsync<IssuerKeysUnavailableException>(async () => await CreateSource().GetSigningKeysAsync(IssuerOptions(), default));

        Assert.DoesNotContain("http://idp.example.test/oauth2/default/v1/keys", _http.Requested);
    }

    [Fact]
    public async Task Empty_jwks_is_refused()
    {
        _http.Respond(DiscoveryUrl, Discovery(Issuer)).Respond(JwksUrl, """{"keys":[]}""");

        await Assert.ThrowsAsync<IssuerKeysUnavailableException>(async () => await CreateSource().GetSigningKeysAsync(IssuerOptions(), default));
    }

    [Fact]
    public async Task Validator_refuses_tokens_while_the_issuer_keys_cannot_be_fetched()
    {
        _http.Respond(DiscoveryUrl, "{}", HttpStatusCode.ServiceUnavailable);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var options = new IdentityOptions { Issuers = [IssuerOptions()] };
        var validator = new JwtTokenValidator(Options.Create(options), CreateSource(), time, NullLogger<JwtTokenValidator>.Instance);
        var token = TestJwt.Create(
            new JsonObject { ["alg"] = "RS256", ["kid"] = "key-1" },
            new JsonObject { ["iss"] = Issuer, ["sub"] = "a", ["aud"] = "api://orleansgate", ["exp"] = time.GetUtcNow().AddMinutes(5).ToUnixTimeSeconds() },
            TestJwt.Rs256(_rsa));

        var result = await validator.ValidateAsync(token, default);

        Assert.Equal($"signing keys for issuer {Issuer} are unavailable", Assert.IsType<TokenValidationResult.Invalid>(result).Reason);
        Assert.Contains(DiscoveryUrl, _http.Requested);
    }

    private DiscoveryIssuerKeySource CreateSource() =>
        new(new HttpClient(_http, disposeHandler: false), NullLogger<DiscoveryIssuerKeySource>.Instance);

    private static IssuerOptions IssuerOptions() => new() { Issuer = Issuer, Audiences = ["api://orleansgate"] };

    private static string Discovery(string issuer) => new JsonObject
    {
        ["issuer"] = issuer,
        ["jwks_uri"] = JwksUrl,
        ["token_endpoint"] = Issuer + "/v1/token",
    }.ToJsonString();

    private string Jwks(string kid)
    {
        var parameters = _rsa.ExportParameters(false);
        return new JsonObject
        {
            ["keys"] = new JsonArray(new JsonObject
            {
                ["kty"] = "RSA",
                ["use"] = "sig",
                ["alg"] = "RS256",
                ["kid"] = kid,
                ["n"] = Base64Url.EncodeToString(parameters.Modulus),
                ["e"] = Base64Url.EncodeToString(parameters.Exponent),
            }),
        }.ToJsonString();
    }
}
