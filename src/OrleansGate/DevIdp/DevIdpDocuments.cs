using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace OrleansGate.Host.DevIdp;

/// <summary>The discovery document and JWKS of the development IdP, shaped like Okta's.</summary>
internal static class DevIdpDocuments
{
    // Lets validators cache the keys without hammering the IdP, as Okta's JWKS does.
    private const string CacheControl = "public, max-age=300";

    public static IResult Discovery(HttpContext context, IOptionsMonitor<DevIdpOptions> options)
    {
        var issuer = options.CurrentValue.Issuer;
        var baseUrl = issuer.TrimEnd('/');
        context.Response.Headers.CacheControl = CacheControl;
        var scopes = new JsonArray(DevIdpTokenFactory.Scope);
        foreach (var scope in DevIdpAuthorizationRequest.SupportedScopes.Order(StringComparer.Ordinal))
        {
            scopes.Add(scope);
        }

        return Json(new JsonObject
        {
            ["issuer"] = issuer,
            ["jwks_uri"] = baseUrl + "/v1/keys",
            ["authorization_endpoint"] = baseUrl + "/v1/authorize",
            ["token_endpoint"] = baseUrl + "/v1/token",
            ["grant_types_supported"] = new JsonArray("client_credentials", "authorization_code"),
            ["response_types_supported"] = new JsonArray("code"),
            ["response_modes_supported"] = new JsonArray("query"),
            ["code_challenge_methods_supported"] = new JsonArray("S256"),
            ["subject_types_supported"] = new JsonArray("public"),
            ["scopes_supported"] = scopes,
            ["id_token_signing_alg_values_supported"] = new JsonArray("RS256"),
            ["token_endpoint_auth_methods_supported"] = new JsonArray("client_secret_basic", "client_secret_post", "none"),
            ["claims_supported"] = new JsonArray("iss", "sub", "aud", "iat", "exp", "auth_time", "nonce", "preferred_username", "groups", "cid", "scp"),
        });
    }

    public static IResult Keys(HttpContext context, DevIdpSigningKey key)
    {
        context.Response.Headers.CacheControl = CacheControl;
        var keys = new JsonArray();
        foreach (var published in key.PublishedKeys)
        {
            keys.Add(new JsonObject
            {
                ["kty"] = "RSA",
                ["use"] = "sig",
                ["alg"] = "RS256",
                ["kid"] = published.KeyId,
                ["n"] = published.Modulus,
                ["e"] = published.Exponent,
            });
        }

        return Json(new JsonObject { ["keys"] = keys });
    }

    public static IResult Json(JsonObject body, int statusCode = StatusCodes.Status200OK) =>
        Results.Text(body.ToJsonString(), "application/json; charset=utf-8", statusCode: statusCode);
}
