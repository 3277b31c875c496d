using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.Tokens;
using OrleansGate.Edge.Identity;
using TokenValidationResult = OrleansGate.Edge.Identity.TokenValidationResult;

namespace OrleansGate.Edge.Tests.Identity;

public sealed partial class JwtTokenValidatorTests : IDisposable
{
    internal const string Issuer = "https://idp.example.test/oauth2/default";
    internal const string OtherIssuer = "https://other-idp.example.test";
    internal const string Audience = "api://orleansgate";

    // Far from the real date on purpose: a validator that read the system clock would fail these tests.
    private static readonly DateTimeOffset Now = new(2031, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(Now);
    private readonly RSA _rsa = RSA.Create(2048);
    private readonly ECDsa _ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly RSA _otherRsa = RSA.Create(2048);
    private readonly StaticKeySource _keys = new();
    private readonly ListLogger<JwtTokenValidator> _log = new();

    public JwtTokenValidatorTests()
    {
        _keys.Add(Issuer, new RsaSecurityKey(_rsa) { KeyId = "rsa-1" }, new ECDsaSecurityKey(_ec) { KeyId = "ec-1" });
        _keys.Add(OtherIssuer, new RsaSecurityKey(_otherRsa) { KeyId = "other-1" });
    }

    public void Dispose()
    {
        _rsa.Dispose();
        _ec.Dispose();
        _otherRsa.Dispose();
    }

    [Fact]
    public async Task Rs256_token_signed_by_issuer_key_is_valid_with_identity_groups_and_jti()
    {
        var result = await ValidateAsync(Token());

        var valid = Assert.IsType<TokenValidationResult.Valid>(result);
        Assert.Equal(Issuer, valid.Agent.Issuer);
        Assert.Equal("agent-7", valid.Agent.Subject);
        Assert.Equal(["dba", "readers"], valid.Agent.Groups);
        Assert.Equal("jti-123", valid.TokenId);
        Assert.Equal(Now.AddMinutes(10), valid.Expires);
    }

    [Fact]
    public async Task Es256_token_signed_by_issuer_key_is_valid()
    {
        var result = await ValidateAsync(Token(alg: "ES256", kid: "ec-1"));

        var valid = Assert.IsType<TokenValidationResult.Valid>(result);
        Assert.Equal("agent-7", valid.Agent.Subject);
        Assert.Equal(["dba", "readers"], valid.Agent.Groups);
    }

    [Fact]
    public async Task Ps256_token_signed_by_issuer_key_is_valid()
    {
        var result = await ValidateAsync(Token(alg: "PS256", sign: TestJwt.Ps256(_rsa)));

        Assert.IsType<TokenValidationResult.Valid>(result);
    }

    [Fact]
    public async Task Token_without_kid_is_checked_against_every_key_of_the_issuer()
    {
        var result = await ValidateAsync(Token(alg: "ES256", kid: null));

        Assert.IsType<TokenValidationResult.Valid>(result);
    }

    [Fact]
    public async Task Token_without_jti_is_valid_with_null_token_id()
    {
        var result = await ValidateAsync(Token(claims: c => c.Remove("jti")));

        Assert.Null(Assert.IsType<TokenValidationResult.Valid>(result).TokenId);
    }

    [Fact]
    public async Task Groups_claim_as_single_string_gives_one_group()
    {
        var result = await ValidateAsync(Token(claims: c => c["groups"] = "dba"));

        Assert.Equal(["dba"], Assert.IsType<TokenValidationResult.Valid>(result).Agent.Groups);
    }

    [Fact]
    public async Task Groups_are_read_from_the_configured_claim()
    {
        var validator = CreateValidator(i => i.GroupsClaim = "roles");

        var result = await validator.ValidateAsync(Token(claims: c => c["roles"] = new JsonArray("ops")), default);

        Assert.Equal(["ops"], Assert.IsType<TokenValidationResult.Valid>(result).Agent.Groups);
    }

    [Fact]
    public async Task Missing_groups_claim_gives_no_groups()
    {
        var result = await ValidateAsync(Token(claims: c => c.Remove("groups")));

        Assert.Empty(Assert.IsType<TokenValidationResult.Valid>(result).Agent.Groups);
    }

    [Fact]
    public async Task Groups_claim_with_a_non_string_member_is_invalid()
    {
        var result = await ValidateAsync(Token(claims: c => c["groups"] = new JsonArray("dba", 5)));

        AssertInvalid(result, "groups claim 'groups' malformed");
    }

    [Fact]
    public async Task Token_past_exp_plus_skew_is_invalid_as_expired()
    {
        var result = await ValidateAsync(Token(claims: c => c["exp"] = Unix(Now.AddSeconds(-61))));

        AssertInvalid(result, "token expired");
    }

    [Fact]
    public async Task Token_within_clock_skew_of_exp_is_valid()
    {
        var result = await ValidateAsync(Token(claims: c => c["exp"] = Unix(Now.AddSeconds(-30))));

        Assert.IsType<TokenValidationResult.Valid>(result);
    }

    [Fact]
    public async Task Token_becomes_expired_when_the_clock_moves_past_exp()
    {
        var token = Token();
        Assert.IsType<TokenValidationResult.Valid>(await ValidateAsync(token));

        _time.Advance(TimeSpan.FromMinutes(11) + TimeSpan.FromSeconds(1));

        AssertInvalid(await ValidateAsync(token), "token expired");
    }

    [Fact]
    public async Task Token_before_nbf_minus_skew_is_invalid_as_not_yet_valid()
    {
        var result = await ValidateAsync(Token(claims: c => c["nbf"] = Unix(Now.AddMinutes(5))));

        AssertInvalid(result, "token not yet valid");
    }

    [Fact]
    public async Task Token_without_exp_is_invalid()
    {
        var result = await ValidateAsync(Token(claims: c => c.Remove("exp")));

        AssertInvalid(result, "expiration (exp) missing");
    }

    [Theory]
    [InlineData("api://other")]
    [InlineData("api://orleansgate/")]
    [InlineData("API://ORLEANSGATE")]
    public async Task Token_for_another_audience_is_invalid(string audience)
    {
        var result = await ValidateAsync(Token(claims: c => c["aud"] = audience));

        AssertInvalid(result, "audience not accepted");
    }

    [Fact]
    public async Task Token_without_aud_is_invalid()
    {
        var result = await ValidateAsync(Token(claims: c => c.Remove("aud")));

        AssertInvalid(result, "audience not accepted");
    }

    [Theory]
    [InlineData("https://idp.example.test/oauth2/default/")]
    [InlineData("https://IDP.example.test/oauth2/default")]
    [InlineData("https://idp.example.test/oauth2/Default")]
    [InlineData("https://evil.example.test/oauth2/default")]
    public async Task Token_naming_an_issuer_that_is_not_configured_exactly_is_invalid_before_any_key_lookup(string issuer)
    {
        var result = await ValidateAsync(Token(claims: c => c["iss"] = issuer));

        AssertInvalid(result, "unknown issuer");
        Assert.Equal(0, _keys.Requests);
    }

    [Fact]
    public async Task Token_without_iss_is_invalid()
    {
        var result = await ValidateAsync(Token(claims: c => c.Remove("iss")));

        AssertInvalid(result, "issuer missing");
    }

    [Fact]
    public async Task Token_claiming_one_issuer_but_signed_with_another_issuers_key_is_invalid()
    {
        var validator = CreateValidator(extraIssuer: true);
        var token = Token(kid: "other-1", sign: TestJwt.Rs256(_otherRsa));

        var result = await validator.ValidateAsync(token, default);

        AssertInvalid(result, "signing key not found");
    }

    [Fact]
    public async Task Token_with_tampered_payload_is_invalid()
    {
        var token = Token();
        var tampered = TestJwt.ReplacePayload(token, Claims(c => c["sub"] = "admin").ToJsonString());

        var result = await ValidateAsync(tampered);

        AssertInvalid(result, "signature invalid");
    }

    [Fact]
    public async Task Token_signed_by_another_key_under_a_trusted_kid_is_invalid()
    {
        using var attacker = RSA.Create(2048);

        var result = await ValidateAsync(Token(kid: "rsa-1", sign: TestJwt.Rs256(attacker)));

        AssertInvalid(result, "signature invalid");
    }

    [Fact]
    public async Task Token_signed_by_another_key_without_kid_is_invalid()
    {
        using var attacker = RSA.Create(2048);

        var result = await ValidateAsync(Token(kid: null, sign: TestJwt.Rs256(attacker)));

        Assert.IsType<TokenValidationResult.Invalid>(result);
    }

    [Fact]
    public async Task Token_whose_kid_names_no_issuer_key_is_invalid_even_if_a_trusted_key_signed_it()
    {
        var result = await ValidateAsync(Token(kid: "rotated-away"));

        AssertInvalid(result, "signing key not found");
    }

    [Theory]
    [InlineData("none")]
    [InlineData("None")]
    [InlineData("NONE")]
    [InlineData("nOnE")]
    public async Task Unsigned_token_with_alg_none_is_invalid_before_any_key_lookup(string alg)
    {
        var result = await ValidateAsync(Token(alg: alg, kid: null, sign: null));

        AssertInvalid(result, $"algorithm '{alg}' not allowed");
        Assert.Equal(0, _keys.Requests);
    }

    [Fact]
    public async Task Alg_none_with_a_signature_segment_is_still_invalid()
    {
        var result = await ValidateAsync(Token(alg: "none", kid: null, sign: TestJwt.Rs256(_rsa)));

        AssertInvalid(result, "algorithm 'none' not allowed");
    }

    [Fact]
    public async Task Hs256_token_using_the_issuer_public_key_as_hmac_secret_is_invalid()
    {
        // The classic key-confusion attack: the public key is public, so anyone can compute this MAC.
        var secret = System.Text.Encoding.ASCII.GetBytes(_rsa.ExportSubjectPublicKeyInfoPem());

        var result = await ValidateAsync(Token(alg: "HS256", sign: TestJwt.Hs256(secret)));

        AssertInvalid(result, "algorithm 'HS256' not allowed");
        Assert.Equal(0, _keys.Requests);
    }

    [Theory]
    [InlineData("rs256")]
    [InlineData("Rs256")]
    [InlineData("RS384")]
    public async Task Alg_outside_the_exact_case_allow_list_is_invalid(string alg)
    {
        var result = await ValidateAsync(Token(alg: alg));

        AssertInvalid(result, $"algorithm '{alg}' not allowed");
    }

    [Fact]
    public async Task Correctly_signed_token_with_an_algorithm_the_issuer_does_not_allow_is_invalid()
    {
        var validator = CreateValidator(i => i.Algorithms = ["RS256"]);

        var result = await validator.ValidateAsync(Token(alg: "ES256", kid: "ec-1"), default);

        AssertInvalid(result, "algorithm 'ES256' not allowed");
    }

    [Fact]
    public async Task Alg_that_cannot_be_shown_safely_is_refused_without_echoing_it()
    {
        var result = await ValidateAsync(Token(alg: "RS256\nforged log line"));

        AssertInvalid(result, "algorithm not allowed");
    }

    [Theory]
    [InlineData("jwk")]
    [InlineData("jku")]
    [InlineData("x5c")]
    [InlineData("x5u")]
    [InlineData("crit")]
    public async Task Header_naming_its_own_key_or_critical_extensions_is_invalid(string parameter)
    {
        // The attacker signs with their own key and points at it from the header.
        using var attacker = RSA.Create(2048);
        JsonNode value = parameter switch
        {
            "jwk" => new JsonObject { ["kty"] = "RSA", ["n"] = "AQAB", ["e"] = "AQAB" },
            "x5c" => new JsonArray("MIIB"),
            "crit" => new JsonArray("exp"),
            _ => "https://attacker.example/keys",
        };

        var result = await ValidateAsync(Token(header: h => h[parameter] = value, sign: TestJwt.Rs256(attacker)));

        AssertInvalid(result, $"header parameter '{parameter}' not allowed");
        Assert.Equal(0, _keys.Requests);
    }

    [Fact]
    public async Task Header_with_a_repeated_alg_is_invalid()
    {
        var token = TestJwt.CreateRaw("""{"alg":"RS256","alg":"none","kid":"rsa-1"}""", Claims().ToJsonString(), TestJwt.Rs256(_rsa));

        var result = await ValidateAsync(token);

        AssertInvalid(result, "token malformed");
    }

    [Theory]
    [InlineData("alg")]
    [InlineData("kid")]
    [InlineData("typ")]
    public async Task Header_string_with_a_lone_surrogate_escape_is_invalid_not_an_exception(string parameter)
    {
        // Valid JSON whose string cannot be decoded: reading it throws inside System.Text.Json.
        var header = Header("RS256", "rsa-1");
        var json = header.ToJsonString();
        json = json.Contains($"\"{parameter}\"", StringComparison.Ordinal)
            ? System.Text.RegularExpressions.Regex.Replace(json, $"\"{parameter}\":\"[^\"]*\"", $"\"{parameter}\":\"\\ud800\"")
            : json.TrimEnd('}') + $",\"{parameter}\":\"\\ud800\"}}";
        Assert.Contains("\\ud800", json, StringComparison.Ordinal);

        var result = await ValidateAsync(TestJwt.CreateRaw(json, Claims().ToJsonString(), TestJwt.Rs256(_rsa)));

        AssertInvalid(result, "token malformed");
    }

    [Fact]
    public async Task Claims_with_a_repeated_sub_are_invalid()
    {
        var claims = Claims().ToJsonString().Replace("\"sub\":\"agent-7\"", "\"sub\":\"agent-7\",\"sub\":\"admin\"", StringComparison.Ordinal);
        Assert.Contains("\"admin\"", claims, StringComparison.Ordinal);

        var result = await ValidateAsync(TestJwt.CreateRaw(Header("RS256", "rsa-1").ToJsonString(), claims, TestJwt.Rs256(_rsa)));

        AssertInvalid(result, "token malformed");
    }

    [Fact]
    public async Task Five_segment_jwe_is_invalid()
    {
        var jwe = TestJwt.Encode("""{"alg":"RSA-OAEP","enc":"A256GCM"}""") + ".a2V5.aXY.Y2lwaGVy.dGFn";

        var result = await ValidateAsync(jwe);

        AssertInvalid(result, "encrypted tokens (JWE) are not accepted");
    }

    [Fact]
    public async Task Token_over_8_KiB_is_invalid_even_when_correctly_signed()
    {
        var token = Token(claims: c => c["padding"] = new string('x', 8 * 1024));
        Assert.True(token.Length > 8 * 1024);

        var result = await ValidateAsync(token);

        AssertInvalid(result, "token too large");
        Assert.Equal(0, _keys.Requests);
    }

    [Fact]
    public async Task Token_of_exactly_8_KiB_is_not_refused_for_its_size()
    {
        var padding = ((8 * 1024) - Token().Length) * 3 / 4;
        string token;
        while ((token = Token(claims: c => c["padding"] = new string('x', padding))).Length > 8 * 1024)
        {
            padding--;
        }

        Assert.InRange(token.Length, (8 * 1024) - 3, 8 * 1024);

        Assert.IsType<TokenValidationResult.Valid>(await ValidateAsync(token));
    }

    [Theory]
    [InlineData("=")]
    [InlineData("+")]
    [InlineData("/")]
    [InlineData(" ")]
    [InlineData("\n")]
    [InlineData("\u00e9")]
    public async Task Token_with_a_character_outside_base64url_is_invalid(string bad)
    {
        var token = Token();
        var broken = token.Insert(token.Length - 2, bad);

        var result = await ValidateAsync(broken);

        AssertInvalid(result, "token malformed");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(5)]
    public async Task Token_with_other_than_two_or_four_dots_is_invalid(int dots)
    {
        var token = string.Join('.', Enumerable.Repeat("eyJhbGciOiJSUzI1NiJ9", dots + 1));

        var result = await ValidateAsync(token);

        AssertInvalid(result, "token malformed");
    }

    [Theory]
    [InlineData("")]
    [InlineData("..")]
    [InlineData("bm90IGpzb24.eyJpc3MiOiJ4In0.c2ln")]
    [InlineData("WzFd.eyJpc3MiOiJ4In0.c2ln")]
    public async Task Token_that_does_not_decode_to_json_objects_is_invalid(string token)
    {
        var result = await ValidateAsync(token);

        Assert.IsType<TokenValidationResult.Invalid>(result);
    }

    [Fact]
    public async Task Token_without_sub_is_invalid()
    {
        var result = await ValidateAsync(Token(claims: c => c.Remove("sub")));

        AssertInvalid(result, "subject (sub) missing");
    }

    [Fact]
    public async Task Token_with_a_numeric_sub_is_invalid()
    {
        var result = await ValidateAsync(Token(claims: c => c["sub"] = 42));

        AssertInvalid(result, "subject (sub) missing");
    }

    [Fact]
    public async Task Token_is_invalid_when_the_issuer_keys_are_unavailable()
    {
        _keys.Failure = new IssuerKeysUnavailableException(Issuer, "JWKS fetch failed", null);

        var result = await ValidateAsync(Token());

        AssertInvalid(result, $"signing keys for issuer {Issuer} are unavailable");
    }

    [Fact]
    public async Task Token_is_invalid_when_the_issuer_publishes_no_keys()
    {
        var validator = new JwtTokenValidator(Options.Create(Configure()), new StaticKeySource(), _time, _log);

        var result = await validator.ValidateAsync(Token(), default);

        AssertInvalid(result, $"signing keys for issuer {Issuer} are unavailable");
    }

    [Fact]
    public async Task Refusal_is_logged_with_reason_and_unverified_claims_but_never_the_token()
    {
        var token = Token(claims: c => c["aud"] = "api://other");

        await ValidateAsync(token);

        var line = Assert.Single(_log.Lines);
        Assert.Contains("audience not accepted", line, StringComparison.Ordinal);
        Assert.Contains("agent-7", line, StringComparison.Ordinal);
        Assert.Contains("rsa-1", line, StringComparison.Ordinal);
        foreach (var segment in token.Split('.'))
        {
            Assert.DoesNotContain(segment, line, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Control_characters_in_unverified_claims_do_not_reach_the_log()
    {
        await ValidateAsync(Token(claims: c => c["iss"] = "x\r\nWarning: forged"));

        Assert.DoesNotContain("\n", Assert.Single(_log.Lines).TrimEnd(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancellation_propagates_from_the_key_source()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        _keys.Failure = new OperationCanceledException(cts.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await CreateValidator().ValidateAsync(Token(), cts.Token));
    }

    internal static IdentityOptions Configure(Action<IssuerOptions>? configure = null, bool extraIssuer = false)
    {
        var issuer = new IssuerOptions { Issuer = Issuer, Audiences = [Audience] };
        configure?.Invoke(issuer);
        var options = new IdentityOptions { Issuers = [issuer] };
        if (extraIssuer)
        {
            options.Issuers.Add(new IssuerOptions { Issuer = OtherIssuer, Audiences = [Audience] });
        }

        return options;
    }

    private JwtTokenValidator CreateValidator(Action<IssuerOptions>? configure = null, bool extraIssuer = false) =>
        new(Options.Create(Configure(configure, extraIssuer)), _keys, _time, _log);

    private ValueTask<TokenValidationResult> ValidateAsync(string token) => CreateValidator().ValidateAsync(token, CancellationToken.None);

    private static void AssertInvalid(TokenValidationResult result, string reason) =>
        Assert.Equal(reason, Assert.IsType<TokenValidationResult.Invalid>(result).Reason);

    private string Token(
        string alg = "RS256",
        string? kid = "rsa-1",
        Action<JsonObject>? header = null,
        Action<JsonObject>? claims = null,
        Func<byte[], byte[]>? sign = null)
    {
        var h = Header(alg, kid);
        header?.Invoke(h);
        sign ??= alg switch
        {
            "ES256" => TestJwt.Es256(_ec),
            "none" or "None" or "NONE" or "nOnE" => null,
            _ => TestJwt.Rs256(_rsa),
        };
        return TestJwt.Create(h, Claims(claims), sign);
    }

    private static JsonObject Header(string alg, string? kid)
    {
        var header = new JsonObject { ["alg"] = alg, ["typ"] = "JWT" };
        if (kid is not null)
        {
            header["kid"] = kid;
        }

        return header;
    }

    private static JsonObject Claims(Action<JsonObject>? configure = null)
    {
        var claims = new JsonObject
        {
            ["iss"] = Issuer,
            ["sub"] = "agent-7",
            ["aud"] = Audience,
            ["iat"] = Unix(Now.AddMinutes(-1)),
            ["exp"] = Unix(Now.AddMinutes(10)),
            ["jti"] = "jti-123",
            ["groups"] = new JsonArray("dba", "readers"),
        };
        configure?.Invoke(claims);
        return claims;
    }

    private static long Unix(DateTimeOffset time) => time.ToUnixTimeSeconds();
}
