using System.Buffers.Text;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.Tokens;

namespace OrleansGate.Tests.DevIdp;

public sealed class DevIdpDocumentsTests : IAsyncLifetime
{
    private readonly TempDirectory _keys = new();
    private DevIdpServer _server = null!;

    public async Task InitializeAsync() => _server = await DevIdpServer.StartAsync(_keys.Path, new FakeTimeProvider());

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _keys.Dispose();
    }

    [Fact]
    public async Task Discovery_document_names_the_issuer_and_its_endpoints()
    {
        using var response = await _server.Http.GetAsync(".well-known/openid-configuration");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var document = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(_server.Issuer, (string?)document["issuer"]);
        Assert.Equal(_server.Issuer + "/v1/keys", (string?)document["jwks_uri"]);
        Assert.Equal(_server.Issuer + "/v1/token", (string?)document["token_endpoint"]);
        Assert.Equal(_server.Issuer + "/v1/authorize", (string?)document["authorization_endpoint"]);
        Assert.Equal(["client_credentials", "authorization_code"], Strings(document["grant_types_supported"]));
        Assert.Equal(["code"], Strings(document["response_types_supported"]));
        Assert.Equal(["S256"], Strings(document["code_challenge_methods_supported"]));
        Assert.Contains("openid", Strings(document["scopes_supported"]));
        Assert.Equal(["RS256"], Strings(document["id_token_signing_alg_values_supported"]));
        Assert.Equal(["client_secret_basic", "client_secret_post", "none"], Strings(document["token_endpoint_auth_methods_supported"]));
    }

    [Fact]
    public async Task Jwks_publishes_only_the_public_rsa_key_under_its_rfc7638_thumbprint()
    {
        using var response = await _server.Http.GetAsync("v1/keys");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(300), response.Headers.CacheControl?.MaxAge);
        var key = Assert.Single(JsonNode.Parse(await response.Content.ReadAsStringAsync())!["keys"]!.AsArray())!.AsObject();
        Assert.Equal(["alg", "e", "kid", "kty", "n", "use"], key.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal("RSA", (string?)key["kty"]);
        Assert.Equal("sig", (string?)key["use"]);
        Assert.Equal("RS256", (string?)key["alg"]);
        Assert.Equal("AQAB", (string?)key["e"]);
        Assert.Equal(256, Base64Url.DecodeFromChars((string)key["n"]!).Length);

        // Cross-checked against IdentityModel's own RFC 7638 implementation.
        var thumbprint = new JsonWebKey(key.ToJsonString()).ComputeJwkThumbprint();
        Assert.Equal(Base64Url.EncodeToString(thumbprint), (string?)key["kid"]);
    }

    [Fact]
    public async Task Endpoints_are_served_only_under_the_issuer_path()
    {
        using var root = new HttpClient();

        using var response = await root.GetAsync(new Uri(new Uri(_server.Issuer), "/.well-known/openid-configuration"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    private static string[] Strings(JsonNode? array) => array!.AsArray().Select(n => (string)n!).ToArray();
}
