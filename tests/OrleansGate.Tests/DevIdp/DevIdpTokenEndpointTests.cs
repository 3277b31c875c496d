using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;

namespace OrleansGate.Tests.DevIdp;

public sealed class DevIdpTokenEndpointTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2031, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly TempDirectory _keys = new();
    private readonly FakeTimeProvider _time = new(Now);
    private DevIdpServer _server = null!;

    public async Task InitializeAsync() => _server = await DevIdpServer.StartAsync(_keys.Path, _time);

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _keys.Dispose();
    }

    [Fact]
    public async Task Client_secret_basic_gets_an_okta_shaped_rs256_access_token()
    {
        using var response = await PostAsync(Form(("grant_type", "client_credentials")), Basic(DevIdpServer.ClientId, DevIdpServer.ClientSecret));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.CacheControl?.NoStore);
        var body = await JsonAsync(response);
        Assert.Equal("Bearer", (string?)body["token_type"]);
        Assert.Equal(900, (long?)body["expires_in"]);
        Assert.Equal("gateway", (string?)body["scope"]);

        var token = (string)body["access_token"]!;
        var header = Jwt.Header(token);
        Assert.Equal("RS256", (string?)header["alg"]);
        Assert.Equal("JWT", (string?)header["typ"]);
        Assert.Equal(await KeyIdAsync(), (string?)header["kid"]);

        var claims = Jwt.Claims(token);
        Assert.Equal(_server.Issuer, (string?)claims["iss"]);
        Assert.Equal(DevIdpServer.ClientId, (string?)claims["sub"]);
        Assert.Equal(DevIdpServer.ClientId, (string?)claims["cid"]);
        Assert.Equal(DevIdpServer.Audience, (string?)claims["aud"]);
        Assert.Equal(Now.ToUnixTimeSeconds(), (long?)claims["iat"]);
        Assert.Equal(Now.AddMinutes(15).ToUnixTimeSeconds(), (long?)claims["exp"]);
        Assert.Equal(["dba", "readers"], claims["groups"]!.AsArray().Select(n => (string)n!));
        Assert.Equal(["gateway"], claims["scp"]!.AsArray().Select(n => (string)n!));
        Assert.Equal(22, ((string)claims["jti"]!).Length);
        Assert.False(claims.ContainsKey("nbf"));
    }

    [Fact]
    public async Task Client_secret_post_gets_a_token()
    {
        using var response = await PostAsync(Form(
            ("grant_type", "client_credentials"),
            ("client_id", DevIdpServer.OtherClientId),
            ("client_secret", DevIdpServer.OtherClientSecret)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var claims = Jwt.Claims((string)(await JsonAsync(response))["access_token"]!);
        Assert.Equal(DevIdpServer.OtherClientId, (string?)claims["sub"]);
        Assert.Empty(claims["groups"]!.AsArray());
    }

    [Fact]
    public async Task Every_token_gets_a_fresh_jti()
    {
        var first = await IssueAsync();
        var second = await IssueAsync();

        Assert.NotEqual((string?)Jwt.Claims(first)["jti"], (string?)Jwt.Claims(second)["jti"]);
    }

    [Theory]
    [InlineData(DevIdpServer.ClientId, "wrong-secret")]
    [InlineData(DevIdpServer.ClientId, DevIdpServer.OtherClientSecret)]
    [InlineData("no-such-client", DevIdpServer.ClientSecret)]
    public async Task Wrong_basic_credentials_are_invalid_client_401_without_echoing_the_secret(string clientId, string secret)
    {
        using var response = await PostAsync(Form(("grant_type", "client_credentials")), Basic(clientId, secret));

        await AssertInvalidClientAsync(response, secret);
    }

    [Fact]
    public async Task Wrong_posted_secret_is_invalid_client_401()
    {
        using var response = await PostAsync(Form(
            ("grant_type", "client_credentials"),
            ("client_id", DevIdpServer.ClientId),
            ("client_secret", "wrong-secret")));

        await AssertInvalidClientAsync(response, "wrong-secret");
    }

    [Fact]
    public async Task Request_without_client_credentials_is_invalid_client_401()
    {
        using var response = await PostAsync(Form(("grant_type", "client_credentials")));

        await AssertInvalidClientAsync(response, secret: null);
    }

    [Fact]
    public async Task Non_basic_authorization_is_invalid_client_401()
    {
        using var response = await PostAsync(Form(("grant_type", "client_credentials")), new AuthenticationHeaderValue("Bearer", "abc"));

        await AssertInvalidClientAsync(response, secret: null);
    }

    [Theory]
    [InlineData("password")]
    [InlineData("CLIENT_CREDENTIALS")]
    public async Task Other_grant_type_is_unsupported_grant_type_400(string grantType)
    {
        using var response = await PostAsync(Form(("grant_type", grantType)), Basic(DevIdpServer.ClientId, DevIdpServer.ClientSecret));

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "unsupported_grant_type");
    }

    [Fact]
    public async Task Authorization_code_grant_from_an_authenticated_client_is_unauthorized_client_400()
    {
        using var response = await PostAsync(
            Form(("grant_type", "authorization_code"), ("code", "abc"), ("redirect_uri", "http://127.0.0.1/cb"), ("code_verifier", new string('a', 43))),
            Basic(DevIdpServer.ClientId, DevIdpServer.ClientSecret));

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "unauthorized_client", DevIdpServer.ClientSecret);
    }

    [Fact]
    public async Task Missing_grant_type_is_invalid_request_400()
    {
        using var response = await PostAsync(Form(("scope", "gateway")), Basic(DevIdpServer.ClientId, DevIdpServer.ClientSecret));

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task Basic_and_post_secret_together_are_invalid_request_400()
    {
        using var response = await PostAsync(
            Form(("grant_type", "client_credentials"), ("client_secret", DevIdpServer.ClientSecret)),
            Basic(DevIdpServer.ClientId, DevIdpServer.ClientSecret));

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request", DevIdpServer.ClientSecret);
    }

    [Fact]
    public async Task Repeated_parameter_is_invalid_request_400()
    {
        using var response = await PostAsync(
            Form(("grant_type", "client_credentials"), ("grant_type", "password")),
            Basic(DevIdpServer.ClientId, DevIdpServer.ClientSecret));

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task Json_body_is_invalid_request_400()
    {
        using var content = new StringContent("""{"grant_type":"client_credentials"}""", Encoding.UTF8, "application/json");

        using var response = await PostAsync(content, Basic(DevIdpServer.ClientId, DevIdpServer.ClientSecret));

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task Body_over_16_KiB_is_refused_unread()
    {
        using var response = await PostAsync(
            Form(("grant_type", "client_credentials"), ("padding", new string('x', 20 * 1024))),
            Basic(DevIdpServer.ClientId, DevIdpServer.ClientSecret));

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task Unknown_scope_is_invalid_scope_400()
    {
        using var response = await PostAsync(
            Form(("grant_type", "client_credentials"), ("scope", "gateway admin")),
            Basic(DevIdpServer.ClientId, DevIdpServer.ClientSecret));

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_scope");
    }

    [Fact]
    public async Task Token_lifetime_follows_the_injected_clock()
    {
        _time.Advance(TimeSpan.FromHours(2));

        var claims = Jwt.Claims(await IssueAsync());

        Assert.Equal(Now.AddHours(2).ToUnixTimeSeconds(), (long?)claims["iat"]);
    }

    internal static AuthenticationHeaderValue Basic(string clientId, string secret) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(clientId)}:{Uri.EscapeDataString(secret)}")));

    private async Task<string> IssueAsync()
    {
        using var response = await PostAsync(Form(("grant_type", "client_credentials")), Basic(DevIdpServer.ClientId, DevIdpServer.ClientSecret));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (string)(await JsonAsync(response))["access_token"]!;
    }

    private async Task<string> KeyIdAsync()
    {
        var jwks = JsonNode.Parse(await _server.Http.GetStringAsync("v1/keys"))!;
        return (string)jwks["keys"]![0]!["kid"]!;
    }

    private static FormUrlEncodedContent Form(params (string Name, string Value)[] fields) =>
        new(fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value)));

    private async Task<HttpResponseMessage> PostAsync(HttpContent content, AuthenticationHeaderValue? authorization = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/token") { Content = content };
        request.Headers.Authorization = authorization;
        return await _server.Http.SendAsync(request);
    }

    private static async Task<JsonObject> JsonAsync(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();

    private static async Task AssertInvalidClientAsync(HttpResponseMessage response, string? secret)
    {
        await AssertErrorAsync(response, HttpStatusCode.Unauthorized, "invalid_client", secret);
        Assert.Equal("Basic", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
    }

    private static async Task AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string error, string? secret = null)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonNode.Parse(text)!;
        Assert.Equal(error, (string?)body["error"]);
        Assert.False(string.IsNullOrEmpty((string?)body["error_description"]));
        Assert.False(body.AsObject().ContainsKey("access_token"));
        if (secret is not null)
        {
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        }
    }
}
