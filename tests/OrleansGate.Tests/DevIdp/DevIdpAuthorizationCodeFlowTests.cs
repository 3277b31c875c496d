using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OrleansGate.Edge.Identity;
using TokenValidationResult = OrleansGate.Edge.Identity.TokenValidationResult;

namespace OrleansGate.Tests.DevIdp;

/// <summary>The login page and the authorization code grant with PKCE, driven over real HTTP as a browser and an app would.</summary>
public sealed class DevIdpAuthorizationCodeFlowTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2031, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly TempDirectory _keys = new();
    private readonly TempDirectory _passwords = new();
    private readonly FakeTimeProvider _time = new(Now);
    private readonly HttpClient _discoveryHttp = new();
    private DevIdpServer _server = null!;
    private LoginBrowser _browser = null!;

    public async Task InitializeAsync()
    {
        _server = await DevIdpServer.StartAsync(_keys.Path, _time, DevIdpServer.WithLoginUsers(_passwords.Path));
        _browser = new LoginBrowser(_server);
    }

    public async Task DisposeAsync()
    {
        _browser.Dispose();
        _discoveryHttp.Dispose();
        await _server.DisposeAsync();
        _keys.Dispose();
        _passwords.Dispose();
    }

    [Fact]
    public async Task Full_flow_gives_alice_an_access_token_the_gateway_validator_accepts_and_an_id_token_with_her_nonce()
    {
        var (verifier, challenge) = LoginBrowser.NewPkce();

        using var page = await _browser.GetAuthorizeAsync(LoginBrowser.Request(challenge));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.True(page.Headers.CacheControl?.NoStore);
        var csp = Assert.Single(page.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        var fields = LoginBrowser.HiddenFields(await page.Content.ReadAsStringAsync());
        Assert.Equal(challenge, fields["code_challenge"]);

        using var signedIn = await _browser.PostFormAsync(fields, DevIdpServer.Alice, DevIdpServer.AlicePassword);
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        Assert.True(signedIn.Headers.CacheControl?.NoStore);
        var callback = LoginBrowser.RedirectParameters(signedIn);
        Assert.Equal("st-123", callback["state"]);
        Assert.Equal(43, callback["code"].Length);

        using var exchanged = await _browser.ExchangeAsync(callback["code"], verifier);
        Assert.Equal(HttpStatusCode.OK, exchanged.StatusCode);
        Assert.True(exchanged.Headers.CacheControl?.NoStore);
        var body = JsonNode.Parse(await exchanged.Content.ReadAsStringAsync())!;
        Assert.Equal("Bearer", (string?)body["token_type"]);
        Assert.Equal(900, (long?)body["expires_in"]);
        Assert.Equal("openid profile", (string?)body["scope"]);

        var accessToken = (string)body["access_token"]!;
        var valid = Assert.IsType<TokenValidationResult.Valid>(await CreateValidator(DevIdpServer.Audience).ValidateAsync(accessToken, default));
        Assert.Equal(_server.Issuer, valid.Agent.Issuer);
        Assert.Equal(DevIdpServer.Alice, valid.Agent.Subject);
        Assert.Equal(["dba", "readers"], valid.Agent.Groups);
        Assert.Equal(Now.AddMinutes(15), valid.Expires);
        var claims = Jwt.Claims(accessToken);
        Assert.Equal(DevIdpServer.PublicClientId, (string?)claims["cid"]);
        Assert.Equal("storage", (string?)claims["team"]);
        Assert.Equal(["openid", "profile"], claims["scp"]!.AsArray().Select(n => (string)n!));

        var idToken = (string)body["id_token"]!;
        var validId = Assert.IsType<TokenValidationResult.Valid>(await CreateValidator(DevIdpServer.PublicClientId).ValidateAsync(idToken, default));
        Assert.Equal(DevIdpServer.Alice, validId.Agent.Subject);
        var idClaims = Jwt.Claims(idToken);
        Assert.Equal(DevIdpServer.PublicClientId, (string?)idClaims["aud"]);
        Assert.Equal("n-456", (string?)idClaims["nonce"]);
        Assert.Equal(Now.ToUnixTimeSeconds(), (long?)idClaims["auth_time"]);
    }

    [Fact]
    public async Task User_with_a_password_from_the_environment_and_no_nonce_gets_an_id_token_without_nonce()
    {
        var (verifier, challenge) = LoginBrowser.NewPkce();
        var request = LoginBrowser.Request(challenge);
        request.Remove("nonce");
        var code = await _browser.CodeAsync(request, DevIdpServer.Bob, DevIdpServer.BobPassword);

        using var exchanged = await _browser.ExchangeAsync(code, verifier);

        var body = JsonNode.Parse(await exchanged.Content.ReadAsStringAsync())!;
        Assert.Equal(DevIdpServer.Bob, (string?)Jwt.Claims((string)body["access_token"]!)["sub"]);
        Assert.False(Jwt.Claims((string)body["id_token"]!).ContainsKey("nonce"));
    }

    [Fact]
    public async Task User_in_no_group_gets_a_token_with_an_empty_groups_claim()
    {
        var (verifier, challenge) = LoginBrowser.NewPkce();
        var code = await _browser.CodeAsync(LoginBrowser.Request(challenge), DevIdpServer.Dave, DevIdpServer.DavePassword);

        using var exchanged = await _browser.ExchangeAsync(code, verifier);

        var claims = Jwt.Claims((string)JsonNode.Parse(await exchanged.Content.ReadAsStringAsync())!["access_token"]!);
        Assert.Equal(DevIdpServer.Dave, (string?)claims["sub"]);
        Assert.Empty(claims["groups"]!.AsArray());
    }

    [Theory]
    [InlineData(DevIdpServer.Alice, "wrong-password")]
    [InlineData(DevIdpServer.Alice, DevIdpServer.BobPassword)]
    [InlineData("mallory", DevIdpServer.AlicePassword)]
    [InlineData(DevIdpServer.Alice, "")]
    public async Task Wrong_credentials_show_the_form_again_with_one_message_and_no_code(string username, string password)
    {
        var (_, challenge) = LoginBrowser.NewPkce();

        using var response = await _browser.SignInAsync(LoginBrowser.Request(challenge), username, password);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(response.Headers.Location);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("Invalid username or password.", html, StringComparison.Ordinal);
        Assert.Equal(challenge, LoginBrowser.HiddenFields(html)["code_challenge"]);
        if (password.Length > 0)
        {
            Assert.DoesNotContain(password, html, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Password_file_replaced_while_running_takes_effect_at_the_next_sign_in()
    {
        var (_, challenge) = LoginBrowser.NewPkce();
        DevIdpServer.PasswordFile(_passwords.Path, DevIdpServer.Alice, "a-new-password");

        using var old = await _browser.SignInAsync(LoginBrowser.Request(challenge), DevIdpServer.Alice, DevIdpServer.AlicePassword);
        using var renewed = await _browser.SignInAsync(LoginBrowser.Request(challenge), DevIdpServer.Alice, "a-new-password");

        Assert.Equal(HttpStatusCode.OK, old.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, renewed.StatusCode);
    }

    [Fact]
    public async Task Wrong_code_verifier_is_invalid_grant_and_uses_the_code_up()
    {
        var (code, verifier) = await AliceCodeAsync();

        using var wrong = await _browser.ExchangeAsync(code, LoginBrowser.NewPkce().Verifier);
        using var right = await _browser.ExchangeAsync(code, verifier);

        await AssertOAuthErrorAsync(wrong, "invalid_grant", "code_verifier does not match");
        await AssertOAuthErrorAsync(right, "invalid_grant", "unknown or was already used");
    }

    [Fact]
    public async Task Code_used_a_second_time_is_invalid_grant()
    {
        var (code, verifier) = await AliceCodeAsync();

        using var first = await _browser.ExchangeAsync(code, verifier);
        using var second = await _browser.ExchangeAsync(code, verifier);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        await AssertOAuthErrorAsync(second, "invalid_grant", "unknown or was already used");
    }

    [Fact]
    public async Task Code_redeemed_60_seconds_after_sign_in_is_invalid_grant()
    {
        var (code, verifier) = await AliceCodeAsync();

        _time.Advance(TimeSpan.FromSeconds(60));
        using var response = await _browser.ExchangeAsync(code, verifier);

        await AssertOAuthErrorAsync(response, "invalid_grant", "expired");
    }

    [Fact]
    public async Task Code_redeemed_59_seconds_after_sign_in_is_accepted()
    {
        var (code, verifier) = await AliceCodeAsync();

        _time.Advance(TimeSpan.FromSeconds(59));
        using var response = await _browser.ExchangeAsync(code, verifier);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData(DevIdpServer.SecondRedirectUri, DevIdpServer.PublicClientId, "redirect_uri differs")]
    [InlineData(DevIdpServer.RedirectUri, DevIdpServer.OtherPublicClientId, "issued to another client")]
    public async Task Code_redeemed_with_another_redirect_uri_or_client_is_invalid_grant(string redirectUri, string clientId, string expected)
    {
        var (code, verifier) = await AliceCodeAsync();

        using var response = await _browser.ExchangeAsync(code, verifier, redirectUri, clientId);

        await AssertOAuthErrorAsync(response, "invalid_grant", expected);
    }

    [Theory]
    [InlineData("too-short")]
    [InlineData("0123456789012345678901234567890123456789012 with spaces")]
    public async Task Code_verifier_of_the_wrong_shape_is_invalid_request(string verifier)
    {
        var (code, _) = await AliceCodeAsync();

        using var response = await _browser.ExchangeAsync(code, verifier);

        await AssertOAuthErrorAsync(response, "invalid_request", "code_verifier must be 43 to 128 characters");
    }

    [Fact]
    public async Task Code_exchange_by_an_unregistered_client_is_invalid_client()
    {
        var (code, verifier) = await AliceCodeAsync();

        using var response = await _browser.ExchangeAsync(code, verifier, clientId: "not-registered");

        await AssertOAuthErrorAsync(response, "invalid_client", "not a registered public client");
    }

    [Theory]
    [InlineData("http://127.0.0.1:9/evil")]
    [InlineData(DevIdpServer.RedirectUri + "/")]
    [InlineData("http://127.0.0.1:9/APPROVALS/callback")]
    [InlineData("http://localhost:9/approvals/callback")]
    [InlineData("")]
    public async Task Unregistered_redirect_uri_gets_a_400_page_and_no_redirect(string redirectUri)
    {
        var request = LoginBrowser.Request(LoginBrowser.NewPkce().Challenge);
        request["redirect_uri"] = redirectUri;

        using var response = await _browser.GetAuthorizeAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Contains("redirect_uri", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_client_id_gets_a_400_page_and_no_redirect()
    {
        var request = LoginBrowser.Request(LoginBrowser.NewPkce().Challenge);
        request["client_id"] = DevIdpServer.ClientId;

        using var response = await _browser.GetAuthorizeAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
    }

    [Fact]
    public async Task Posted_form_with_a_tampered_redirect_uri_gets_a_400_page_even_with_the_right_password()
    {
        using var page = await _browser.GetAuthorizeAsync(LoginBrowser.Request(LoginBrowser.NewPkce().Challenge));
        var fields = LoginBrowser.HiddenFields(await page.Content.ReadAsStringAsync());
        fields["redirect_uri"] = "http://127.0.0.1:9/evil";

        using var response = await _browser.PostFormAsync(fields, DevIdpServer.Alice, DevIdpServer.AlicePassword);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
    }

    [Theory]
    [InlineData("code_challenge_method", "plain", "invalid_request")]
    [InlineData("code_challenge_method", "", "invalid_request")]
    [InlineData("code_challenge", "", "invalid_request")]
    [InlineData("code_challenge", "short-challenge", "invalid_request")]
    [InlineData("code_challenge", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "invalid_request")]
    [InlineData("response_type", "token", "unsupported_response_type")]
    [InlineData("scope", "profile", "invalid_scope")]
    [InlineData("scope", "openid admin", "invalid_scope")]
    public async Task Bad_request_for_a_registered_redirect_uri_is_sent_back_there_as_an_error_without_a_code(string name, string value, string error)
    {
        var request = LoginBrowser.Request(LoginBrowser.NewPkce().Challenge);
        request[name] = value;

        using var response = await _browser.GetAuthorizeAsync(request);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var callback = LoginBrowser.RedirectParameters(response);
        Assert.Equal(error, callback["error"]);
        Assert.Equal("st-123", callback["state"]);
        Assert.False(callback.ContainsKey("code"));
    }

    [Fact]
    public async Task Plain_code_challenge_method_is_refused_at_the_post_too()
    {
        var (_, challenge) = LoginBrowser.NewPkce();
        using var page = await _browser.GetAuthorizeAsync(LoginBrowser.Request(challenge));
        var fields = LoginBrowser.HiddenFields(await page.Content.ReadAsStringAsync());
        fields["code_challenge_method"] = "plain";

        using var response = await _browser.PostFormAsync(fields, DevIdpServer.Alice, DevIdpServer.AlicePassword);

        var callback = LoginBrowser.RedirectParameters(response);
        Assert.Equal("invalid_request", callback["error"]);
        Assert.False(callback.ContainsKey("code"));
    }

    [Fact]
    public async Task Echoed_state_and_username_are_html_encoded_and_come_back_unchanged()
    {
        const string State = "\"><script>alert(1)</script>&amp;'";
        const string Username = "<img src=x onerror=alert(2)>";
        var (verifier, challenge) = LoginBrowser.NewPkce();
        var request = LoginBrowser.Request(challenge, state: State);

        using var failed = await _browser.SignInAsync(request, Username, "wrong");
        var html = await failed.Content.ReadAsStringAsync();
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<img", html, StringComparison.Ordinal);
        var fields = LoginBrowser.HiddenFields(html);
        Assert.Equal(State, fields["state"]);

        using var signedIn = await _browser.PostFormAsync(fields, DevIdpServer.Alice, DevIdpServer.AlicePassword);
        Assert.Equal(State, LoginBrowser.RedirectParameters(signedIn)["state"]);
        using var exchanged = await _browser.ExchangeAsync(LoginBrowser.RedirectParameters(signedIn)["code"], verifier);
        Assert.Equal(HttpStatusCode.OK, exchanged.StatusCode);
    }

    [Fact]
    public async Task Redirect_uri_with_a_query_keeps_it_and_gets_the_code_added()
    {
        var (verifier, challenge) = LoginBrowser.NewPkce();
        var request = LoginBrowser.Request(challenge);
        request["redirect_uri"] = DevIdpServer.SecondRedirectUri;

        using var signedIn = await _browser.SignInAsync(request, DevIdpServer.Alice, DevIdpServer.AlicePassword);

        var callback = LoginBrowser.RedirectParameters(signedIn, DevIdpServer.SecondRedirectUri);
        Assert.Equal("second", callback["from"]);
        using var exchanged = await _browser.ExchangeAsync(callback["code"], verifier, DevIdpServer.SecondRedirectUri);
        Assert.Equal(HttpStatusCode.OK, exchanged.StatusCode);
    }

    private async Task<(string Code, string Verifier)> AliceCodeAsync()
    {
        var (verifier, challenge) = LoginBrowser.NewPkce();
        return (await _browser.CodeAsync(LoginBrowser.Request(challenge), DevIdpServer.Alice, DevIdpServer.AlicePassword), verifier);
    }

    private static async Task AssertOAuthErrorAsync(HttpResponseMessage response, string error, string descriptionPart)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(error, (string?)body["error"]);
        Assert.Contains(descriptionPart, (string?)body["error_description"], StringComparison.Ordinal);
        Assert.Null(body["access_token"]);
    }

    private JwtTokenValidator CreateValidator(string audience)
    {
        var options = new IdentityOptions
        {
            Issuers = [new IssuerOptions { Issuer = _server.Issuer, Audiences = [audience], RequireHttps = false }],
        };
        var keys = new DiscoveryIssuerKeySource(_discoveryHttp, NullLogger<DiscoveryIssuerKeySource>.Instance);
        return new JwtTokenValidator(Options.Create(options), keys, _time, NullLogger<JwtTokenValidator>.Instance);
    }
}
