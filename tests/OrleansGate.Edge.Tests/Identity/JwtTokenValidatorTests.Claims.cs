using System.Text.Json.Nodes;
using OrleansGate.Edge.Identity;
using OrleansGate.Model;
using TokenValidationResult = OrleansGate.Edge.Identity.TokenValidationResult;

namespace OrleansGate.Edge.Tests.Identity;

/// <summary>The token's other claims, carried (bounded) for policy <c>claims:</c> rules.</summary>
public sealed partial class JwtTokenValidatorTests
{
    [Fact]
    public async Task String_number_bool_and_array_claims_are_carried_and_registered_claims_are_not()
    {
        var result = await ValidateAsync(Token(claims: c =>
        {
            c["team"] = "payments";
            c["level"] = 3;
            c["contractor"] = false;
            c["roles"] = new JsonArray("reader", "writer");
        }));

        var claims = Assert.IsType<TokenValidationResult.Valid>(result).Agent.Claims!.ToDictionary(c => c.Name);
        Assert.Equal(["payments"], claims["team"].Values);
        Assert.Equal(["3"], claims["level"].Values);
        Assert.Equal(["false"], claims["contractor"].Values);
        Assert.Equal(["reader", "writer"], claims["roles"].Values);
        Assert.DoesNotContain(claims.Values, c => c.Unreadable);
        Assert.DoesNotContain("sub", claims.Keys);
        Assert.DoesNotContain("exp", claims.Keys);
        Assert.DoesNotContain("jti", claims.Keys);
    }

    [Fact]
    public async Task Object_null_and_oversized_claims_are_carried_by_name_as_unreadable()
    {
        var result = await ValidateAsync(Token(claims: c =>
        {
            c["realm_access"] = new JsonObject { ["roles"] = new JsonArray("admin") };
            c["nothing"] = null;
            c["long"] = new string('x', AgentClaim.MaxValueLength + 1);
            c["many"] = new JsonArray([.. Enumerable.Range(0, AgentClaim.MaxValues + 1).Select(i => (JsonNode)i)]);
        }));

        var claims = Assert.IsType<TokenValidationResult.Valid>(result).Agent.Claims!.ToDictionary(c => c.Name);
        foreach (var name in new[] { "realm_access", "nothing", "long", "many" })
        {
            Assert.True(claims[name].Unreadable, name);
            Assert.Empty(claims[name].Values);
        }
    }

    [Fact]
    public async Task Token_with_more_claims_than_the_cap_is_refused()
    {
        var result = await ValidateAsync(Token(claims: c =>
        {
            for (var i = 0; i <= AgentClaim.MaxClaims; i++)
            {
                c[$"c{i}"] = "v";
            }
        }));

        Assert.Equal($"too many claims (more than {AgentClaim.MaxClaims})", Assert.IsType<TokenValidationResult.Invalid>(result).Reason);
    }
}

/// <summary>
/// The identity is persisted with the agent grain's state by Orleans' JSON grain storage (Newtonsoft, with type
/// names): every list in it must be a type that can be read back — compiler-made collection-expression types cannot.
/// </summary>
public sealed partial class JwtTokenValidatorTests
{
    [Fact]
    public async Task Identity_with_single_value_claims_and_a_single_group_reads_back_from_type_named_json()
    {
        var result = await ValidateAsync(Token(claims: c =>
        {
            c["groups"] = "ops";
            c["team"] = "payments";
            c["realm_access"] = new JsonObject();
        }));
        var agent = Assert.IsType<TokenValidationResult.Valid>(result).Agent;
        var settings = new Newtonsoft.Json.JsonSerializerSettings { TypeNameHandling = Newtonsoft.Json.TypeNameHandling.All };

        var json = Newtonsoft.Json.JsonConvert.SerializeObject(agent, settings);
        var back = Newtonsoft.Json.JsonConvert.DeserializeObject<AgentIdentity>(json, settings)!;

        Assert.Equal(["ops"], back.Groups);
        var claims = back.Claims!.ToDictionary(c => c.Name);
        Assert.Equal(["payments"], claims["team"].Values);
        Assert.True(claims["realm_access"].Unreadable);
    }
}
