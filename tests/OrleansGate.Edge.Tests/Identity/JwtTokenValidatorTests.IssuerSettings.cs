using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using OrleansGate.Edge.Identity;
using OrleansGate.Model;
using TokenValidationResult = OrleansGate.Edge.Identity.TokenValidationResult;

namespace OrleansGate.Edge.Tests.Identity;

/// <summary>Per-issuer settings: defaults, several issuers and audiences, required claims.</summary>
public sealed partial class JwtTokenValidatorTests
{
    [Fact]
    public void Issuer_defaults_are_rs256_es256_ps256_groups_claim_and_a_60_second_skew()
    {
        var issuer = new IssuerOptions();

        Assert.Equal(["RS256", "ES256", "PS256"], issuer.Algorithms);
        Assert.Equal("groups", issuer.GroupsClaim);
        Assert.Equal(TimeSpan.FromSeconds(60), issuer.ClockSkew);
        Assert.Empty(issuer.RequiredClaims);
        Assert.Null(issuer.TokenType);
    }

    [Fact]
    public async Task Token_61_seconds_past_exp_is_refused_with_the_default_skew()
    {
        // The library's own default skew is five minutes; ours is 60 s.
        var result = await ValidateAsync(Token(claims: c => c["exp"] = Unix(Now.AddSeconds(-61))));

        AssertInvalid(result, "token expired");
    }

    [Fact]
    public async Task Each_of_several_issuers_is_verified_with_its_own_keys_and_audiences()
    {
        var validator = new JwtTokenValidator(
            Options.Create(new IdentityOptions
            {
                Issuers =
                [
                    new IssuerOptions { Issuer = Issuer, Audiences = [Audience] },
                    new IssuerOptions { Issuer = OtherIssuer, Audiences = ["api://other"], GroupsClaim = "roles" },
                ],
            }),
            _keys,
            _time,
            _log);
        var other = Token(kid: "other-1", sign: TestJwt.Rs256(_otherRsa), claims: c =>
        {
            c["iss"] = OtherIssuer;
            c["aud"] = "api://other";
            c["roles"] = new JsonArray("ops");
        });
        var otherWithFirstAudience = Token(kid: "other-1", sign: TestJwt.Rs256(_otherRsa), claims: c => c["iss"] = OtherIssuer);

        var valid = Assert.IsType<TokenValidationResult.Valid>(await validator.ValidateAsync(other, default));
        Assert.Equal(OtherIssuer, valid.Agent.Issuer);
        Assert.Equal(["ops"], valid.Agent.Groups);
        Assert.IsType<TokenValidationResult.Valid>(await validator.ValidateAsync(Token(), default));
        AssertInvalid(await validator.ValidateAsync(otherWithFirstAudience, default), "audience not accepted");
    }

    [Theory]
    [InlineData("api://orleansgate")]
    [InlineData("api://second")]
    public async Task Any_configured_audience_is_accepted(string audience)
    {
        var validator = CreateValidator(i => i.Audiences = [Audience, "api://second"]);

        var result = await validator.ValidateAsync(Token(claims: c => c["aud"] = new JsonArray("api://unrelated", audience)), default);

        Assert.IsType<TokenValidationResult.Valid>(result);
    }

    [Fact]
    public async Task Token_carrying_every_required_claim_is_valid()
    {
        var validator = CreateValidator(i => i.RequiredClaims = ["jti", "cid"]);

        Assert.IsType<TokenValidationResult.Valid>(await validator.ValidateAsync(Token(claims: c => c["cid"] = "client-1"), default));
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("null")]
    public async Task Token_without_a_required_claim_is_refused_with_its_name(string shape)
    {
        var validator = CreateValidator(i => i.RequiredClaims = ["jti", "cid"]);
        var token = Token(claims: c =>
        {
            c["cid"] = "client-1";
            if (shape == "missing")
            {
                c.Remove("jti");
            }
            else
            {
                c["jti"] = null;
            }
        });

        AssertInvalid(await validator.ValidateAsync(token, default), "required claim 'jti' missing");
        Assert.Contains(_log.Lines, m => m.Contains("Token refused: required claim 'jti' missing", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(TokenReuse.OneSessionAtATime)]
    [InlineData(TokenReuse.SingleUse)]
    public async Task Token_without_jti_is_refused_where_the_issuer_limits_reuse(TokenReuse reuse)
    {
        var validator = CreateValidator(i => i.TokenReuse = reuse);

        AssertInvalid(await validator.ValidateAsync(Token(claims: c => c.Remove("jti")), default), "token id (jti) missing");
        var valid = Assert.IsType<TokenValidationResult.Valid>(await validator.ValidateAsync(Token(), default));
        Assert.Equal(reuse, valid.Reuse);
    }

    [Fact]
    public async Task Reuse_is_not_limited_by_default_and_jti_is_optional()
    {
        var valid = Assert.IsType<TokenValidationResult.Valid>(await ValidateAsync(Token(claims: c => c.Remove("jti"))));

        Assert.Equal(TokenReuse.Allowed, valid.Reuse);
        Assert.Null(valid.TokenId);
    }

    [Fact]
    public void Empty_required_claim_name_fails_at_startup()
    {
        Assert.Throws<OptionsValidationException>(() => CreateValidator(i => i.RequiredClaims = ["jti", " "]));
    }
}
