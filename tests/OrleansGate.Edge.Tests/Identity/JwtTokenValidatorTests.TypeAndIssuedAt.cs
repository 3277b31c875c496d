using System.Security.Cryptography;
using System.Text.Json.Nodes;
using OrleansGate.Edge.Identity;

namespace OrleansGate.Edge.Tests.Identity;

/// <summary>typ, cty (nested tokens), iat and ECDSA zero-signature checks.</summary>
public sealed partial class JwtTokenValidatorTests
{
    [Theory]
    [InlineData("at+jwt")]
    [InlineData("AT+JWT")]
    [InlineData("application/at+jwt")]
    public async Task Configured_token_type_is_accepted_case_insensitively_with_optional_application_prefix(string typ)
    {
        var result = await CreateValidator(i => i.TokenType = "at+jwt").ValidateAsync(Token(header: h => h["typ"] = typ), default);

        Assert.IsType<TokenValidationResult.Valid>(result);
    }

    [Theory]
    [InlineData("JWT")]
    [InlineData(null)]
    public async Task Wrong_or_missing_token_type_is_refused_when_configured(string? typ)
    {
        var token = Token(header: h =>
        {
            if (typ is null)
            {
                h.Remove("typ");
            }
            else
            {
                h["typ"] = typ;
            }
        });

        var result = await CreateValidator(i => i.TokenType = "at+jwt").ValidateAsync(token, default);

        AssertInvalid(result, "token type (typ) not accepted");
    }

    [Theory]
    [InlineData("JWT")]
    [InlineData("jwt")]
    [InlineData("text/plain")]
    public async Task Nested_token_announced_by_cty_is_refused(string cty)
    {
        AssertInvalid(await ValidateAsync(Token(header: h => h["cty"] = cty)), "nested tokens (cty) are not accepted");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Payload_that_is_itself_a_token_is_refused_as_nested_without_a_cty_header(bool encrypted)
    {
        // The outer token is really signed by the issuer's key; its payload is a compact JWS (or JWE), not claims.
        var inner = encrypted ? "eyJhbGciOiJSU0EtT0FFUCJ9.a2V5.aXY.Y2lwaGVy.dGFn" : Token();
        var outer = Token();
        var parts = outer.Split('.');
        var signingInput = $"{parts[0]}.{TestJwt.Encode(inner)}";
        var token = $"{signingInput}.{System.Buffers.Text.Base64Url.EncodeToString(TestJwt.Rs256(_rsa)(System.Text.Encoding.ASCII.GetBytes(signingInput)))}";

        AssertInvalid(await ValidateAsync(token), "nested tokens (payload is a token) are not accepted");
    }

    [Fact]
    public async Task Payload_that_is_neither_claims_nor_a_token_is_malformed()
    {
        AssertInvalid(await ValidateAsync(TestJwt.CreateRaw("{\"alg\":\"RS256\",\"kid\":\"rsa-1\"}", "not.json", TestJwt.Rs256(_rsa))), "token malformed");
    }

    [Fact]
    public async Task Issued_at_in_the_future_beyond_the_skew_is_refused()
    {
        AssertInvalid(await ValidateAsync(Token(claims: c => c["iat"] = Unix(Now.AddSeconds(61)))), "issued-at (iat) in the future");
    }

    [Fact]
    public async Task Issued_at_in_the_future_within_the_skew_is_accepted()
    {
        Assert.IsType<TokenValidationResult.Valid>(await ValidateAsync(Token(claims: c => c["iat"] = Unix(Now.AddSeconds(60)))));
    }

    [Fact]
    public async Task Issued_at_that_is_not_a_number_is_refused()
    {
        AssertInvalid(await ValidateAsync(Token(claims: c => c["iat"] = "yesterday")), "issued-at (iat) malformed");
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public async Task Ecdsa_signature_with_r_or_s_zero_is_refused(bool zeroR, bool zeroS)
    {
        // The "psychic signature" shape (CVE-2022-21449): a verifier that skips the 0 < r, s < n check accepts it for any message.
        var token = Token(alg: "ES256", kid: "ec-1", sign: data =>
        {
            var signature = TestJwt.Es256(_ec)(data);
            if (zeroR)
            {
                Array.Clear(signature, 0, 32);
            }

            if (zeroS)
            {
                Array.Clear(signature, 32, 32);
            }

            return signature;
        });

        AssertInvalid(await ValidateAsync(token), "ECDSA signature with r or s zero");
        Assert.Contains(_log.Lines, l => l.Contains("Token refused: ECDSA signature with r or s zero", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(63)]
    [InlineData(65)]
    [InlineData(72)]
    public async Task Ecdsa_signature_of_the_wrong_length_is_refused(int length)
    {
        // 72 bytes is the DER form some libraries emit; JWS requires the fixed-length r|s form.
        var token = Token(alg: "ES256", kid: "ec-1", sign: _ => System.Security.Cryptography.RandomNumberGenerator.GetBytes(length));

        AssertInvalid(await ValidateAsync(token), "signature malformed");
    }
}
