using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OrleansGate.Edge.Identity;

namespace OrleansGate.Edge.Tests.Identity;

public sealed partial class DiscoveryIssuerKeySourceTests : IDisposable
{
    private const string Issuer = "https://idp.example.test/oauth2/default";
    private const string DiscoveryUrl = Issuer + "/.well-known/openid-configuration";
    private const string JwksUrl = Issuer + "/v1/keys";

    private readonly RSA _rsa = RSA.Create(2048);
    private readonly RSA _rotated = RSA.Create(2048);
    private readonly StubHttpHandler _http = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 29, 3, 0, 0, TimeSpan.Zero));

    public void Dispose()
    {
        _rsa.Dispose();
        _rotated.Dispose();
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
        _time.Advance(DiscoveryIssuerKeySource.MinFetchInterval);
        var keys = await source.GetSigningKeysAsync(IssuerOptions(), default);

        Assert.Equal("key-1", Assert.Single(keys).KeyId);
    }

    [Fact]
    public async Task Failed_fetch_is_not_retried_within_the_rate_limit_interval()
    {
        var source = CreateSource();
        _http.Respond(DiscoveryUrl, "{}", HttpStatusCode.ServiceUnavailable);
        await Assert.ThrowsAsync<IssuerKeysUnavailableException>(async () => await source.GetSigningKeysAsync(IssuerOptions(), default));

        _http.Respond(DiscoveryUrl, Discovery(Issuer)).Respond(JwksUrl, Jwks("key-1"));
        _time.Advance(DiscoveryIssuerKeySource.MinFetchInterval - TimeSpan.FromMilliseconds(1));
        var ex = await Assert.ThrowsAsync<IssuerKeysUnavailableException>(async () => await source.GetSigningKeysAsync(IssuerOptions(), default));

        Assert.Contains("HTTP 503", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, _http.Count(DiscoveryUrl));
    }

    [Fact]
    public async Task Keys_are_reused_without_requests_while_cache_control_max_age_allows()
    {
        _http.Respond(DiscoveryUrl, Discovery(Issuer)).Respond(JwksUrl, Jwks("key-1"), cacheControl: "public, max-age=300");
        var source = CreateSource();
        await source.GetSigningKeysAsync(IssuerOptions(), "key-1", default);

        _time.Advance(TimeSpan.FromSeconds(299));
        await source.GetSigningKeysAsync(IssuerOptions(), "key-1", default);
        Assert.Equal(1, _http.Count(JwksUrl));

        _time.Advance(TimeSpan.FromSeconds(1));
        await source.GetSigningKeysAsync(IssuerOptions(), "key-1", default);
        Assert.Equal(2, _http.Count(JwksUrl));
    }

    [Theory]
    [InlineData(null, 3600)]
    [InlineData("max-age=0", 10)]
    [InlineData("no-cache", 10)]
    [InlineData("no-store", 10)]
    [InlineData("max-age=31536000", 86400)]
    public async Task Key_lifetime_follows_cache_control_within_bounds(string? cacheControl, int expectedSeconds)
    {
        _http.Respond(DiscoveryUrl, Discovery(Issuer)).Respond(JwksUrl, Jwks("key-1"), cacheControl: cacheControl);
        var source = CreateSource();
        await source.GetSigningKeysAsync(IssuerOptions(), "key-1", default);

        _time.Advance(TimeSpan.FromSeconds(expectedSeconds - 1));
        await source.GetSigningKeysAsync(IssuerOptions(), "key-1", default);
        Assert.Equal(1, _http.Count(JwksUrl));

        _time.Advance(TimeSpan.FromSeconds(1));
        await source.GetSigningKeysAsync(IssuerOptions(), "key-1", default);
        Assert.Equal(2, _http.Count(JwksUrl));
    }

    [Fact]
    public async Task Rotated_key_is_picked_up_by_exactly_one_refetch_on_its_unknown_kid()
    {
        _http.Respond(DiscoveryUrl, Discovery(Issuer)).Respond(JwksUrl, Jwks("key-1"), cacheControl: "max-age=3600");
        var source = CreateSource();
        await source.GetSigningKeysAsync(IssuerOptions(), "key-1", default);
        _time.Advance(TimeSpan.FromMinutes(1));

        // The IdP rotates: the new key signs, the old one stays published for tokens in flight.
        _http.Respond(JwksUrl, Jwks(("key-1", _rsa), ("key-2", _rotated)), cacheControl: "max-age=3600");
        var keys = await source.GetSigningKeysAsync(IssuerOptions(), "key-2", default);
        await source.GetSigningKeysAsync(IssuerOptions(), "key-2", default);
        await source.GetSigningKeysAsync(IssuerOptions(), "key-1", default);

        Assert.Equal(["key-1", "key-2"], keys.Select(k => k.KeyId));
        Assert.Equal(2, _http.Count(JwksUrl));
    }

    [Fact]
    public async Task Logins_keep_working_on_cached_keys_while_the_idp_is_down_then_fail_closed_after_max_age()
    {
        _http.Respond(DiscoveryUrl, Discovery(Issuer)).Respond(JwksUrl, Jwks("key-1"), cacheControl: "max-age=60");
        var issuer = IssuerOptions();
        issuer.KeysMaxAge = TimeSpan.FromMinutes(30);
        var logger = new ListLogger<JwtTokenValidator>();
        var validator = new JwtTokenValidator(Options.Create(new IdentityOptions { Issuers = [issuer] }), CreateSource(), _time, logger);
        Assert.IsType<TokenValidationResult.Valid>(await validator.ValidateAsync(Token("key-1"), default));

        // The IdP goes down; keys expire (max-age=60) and every refetch fails.
        _http.Respond(DiscoveryUrl, "{}", HttpStatusCode.ServiceUnavailable).Respond(JwksUrl, "{}", HttpStatusCode.ServiceUnavailable);
        for (var minute = 1; minute <= 30; minute++)
        {
            _time.Advance(TimeSpan.FromMinutes(1));
            Assert.IsType<TokenValidationResult.Valid>(await validator.ValidateAsync(Token("key-1"), default));
        }

        _time.Advance(TimeSpan.FromSeconds(1));
        var refused = Assert.IsType<TokenValidationResult.Invalid>(await validator.ValidateAsync(Token("key-1"), default));

        Assert.Equal($"signing keys for issuer {Issuer} are unavailable", refused.Reason);
        Assert.Contains("beyond KeysMaxAge", logger.All, StringComparison.Ordinal);
        Assert.Contains("HTTP 503", logger.All, StringComparison.Ordinal);
        Assert.Equal(31, _http.Count(DiscoveryUrl));

        // Once the IdP is back, its keys are fetched and logins resume.
        _http.Respond(DiscoveryUrl, Discovery(Issuer)).Respond(JwksUrl, Jwks("key-1"));
        _time.Advance(DiscoveryIssuerKeySource.MinFetchInterval);
        Assert.IsType<TokenValidationResult.Valid>(await validator.ValidateAsync(Token("key-1"), default));
    }

    [Fact]
    public async Task Invalid_answer_from_the_idp_does_not_replace_the_last_good_keys()
    {
        _http.Respond(DiscoveryUrl, Discovery(Issuer)).Respond(JwksUrl, Jwks("key-1"), cacheControl: "max-age=60");
        var source = CreateSource();
        await source.GetSigningKeysAsync(IssuerOptions(), "key-1", default);

        _http.Respond(JwksUrl, """{"keys":[]}""");
        _time.Advance(TimeSpan.FromSeconds(60));
        var keys = await source.GetSigningKeysAsync(IssuerOptions(), "key-1", default);

        Assert.Equal("key-1", Assert.Single(keys).KeyId);
        Assert.Equal(2, _http.Count(JwksUrl));
    }

    [Theory]
    [InlineData("jku")]
    [InlineData("x5u")]
    public async Task Key_location_in_the_token_header_is_never_fetched(string parameter)
    {
        const string attackerUrl = "https://attacker.example.test/jwks.json";
        _http.Respond(DiscoveryUrl, Discovery(Issuer)).Respond(JwksUrl, Jwks("key-1")).Respond(attackerUrl, Jwks("key-1"));
        var validator = new JwtTokenValidator(Options.Create(new IdentityOptions { Issuers = [IssuerOptions()] }), CreateSource(), _time, NullLogger<JwtTokenValidator>.Instance);
        var token = TestJwt.Create(
            new JsonObject { ["alg"] = "RS256", ["kid"] = "key-1", [parameter] = attackerUrl },
            Claims(),
            TestJwt.Rs256(_rsa));

        var result = await validator.ValidateAsync(token, default);

        Assert.IsType<TokenValidationResult.Invalid>(result);
        Assert.DoesNotContain(_http.Requested, u => u.StartsWith("https://attacker.example.test", StringComparison.Ordinal));
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
        var time = _time;
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

    private DiscoveryIssuerKeySource CreateSource(ILogger<DiscoveryIssuerKeySource>? logger = null) =>
        new(new HttpClient(_http, disposeHandler: false), _time, logger ?? NullLogger<DiscoveryIssuerKeySource>.Instance);

    private JsonObject Claims() => new()
    {
        ["iss"] = Issuer,
        ["sub"] = "agent-1",
        ["aud"] = "api://orleansgate",
        ["exp"] = _time.GetUtcNow().AddMinutes(5).ToUnixTimeSeconds(),
    };

    private string Token(string kid) =>
        TestJwt.Create(new JsonObject { ["alg"] = "RS256", ["kid"] = kid }, Claims(), TestJwt.Rs256(_rsa));

    private static IssuerOptions IssuerOptions() => new() { Issuer = Issuer, Audiences = ["api://orleansgate"] };

    private static string Discovery(string issuer) => new JsonObject
    {
        ["issuer"] = issuer,
        ["jwks_uri"] = JwksUrl,
        ["token_endpoint"] = Issuer + "/v1/token",
    }.ToJsonString();

    private string Jwks(string kid) => Jwks((kid, _rsa));

    private static string Jwks(params (string Kid, RSA Key)[] keys)
    {
        var array = new JsonArray();
        foreach (var (kid, key) in keys)
        {
            var parameters = key.ExportParameters(false);
            array.Add(new JsonObject
            {
                ["kty"] = "RSA",
                ["use"] = "sig",
                ["alg"] = "RS256",
                ["kid"] = kid,
                ["n"] = Base64Url.EncodeToString(parameters.Modulus),
                ["e"] = Base64Url.EncodeToString(parameters.Exponent),
            });
        }

        return new JsonObject { ["keys"] = array }.ToJsonString();
    }
}
