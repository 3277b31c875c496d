using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.WebUtilities;

namespace OrleansGate.Tests.DevIdp;

/// <summary>
/// Plays the browser and the public client of the authorization code flow over real HTTP: redirects are not followed,
/// so each test sees where the IdP sends the browser; the login form's hidden fields are read from its HTML.
/// </summary>
internal sealed partial class LoginBrowser : IDisposable
{
    private readonly HttpClient _http;

    public LoginBrowser(DevIdpServer server)
    {
        _http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false })
        {
            BaseAddress = new Uri(server.Issuer.TrimEnd('/') + "/"),
        };
    }

    /// <summary>A fresh RFC 7636 verifier and its S256 challenge.</summary>
    public static (string Verifier, string Challenge) NewPkce()
    {
        var verifier = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        return (verifier, Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))));
    }

    /// <summary>A valid authorization request for <see cref="DevIdpServer.PublicClientId"/>; tests change single entries to make it invalid.</summary>
    public static Dictionary<string, string> Request(string challenge, string state = "st-123", string nonce = "n-456") => new()
    {
        ["response_type"] = "code",
        ["client_id"] = DevIdpServer.PublicClientId,
        ["redirect_uri"] = DevIdpServer.RedirectUri,
        ["scope"] = "openid profile",
        ["state"] = state,
        ["code_challenge"] = challenge,
        ["code_challenge_method"] = "S256",
        ["nonce"] = nonce,
    };

    public Task<HttpResponseMessage> GetAuthorizeAsync(IDictionary<string, string> parameters) =>
        _http.GetAsync(QueryHelpers.AddQueryString("v1/authorize", parameters!));

    /// <summary>Posts the form as a browser would: the page's hidden fields plus the credentials.</summary>
    public Task<HttpResponseMessage> PostFormAsync(IDictionary<string, string> fields, string username, string password) =>
        _http.PostAsync("v1/authorize", new FormUrlEncodedContent(
            fields.Append(new("username", username)).Append(new("password", password))));

    /// <summary>Opens the login page, signs in with the form's own hidden fields, and returns the response to the post.</summary>
    public async Task<HttpResponseMessage> SignInAsync(IDictionary<string, string> request, string username, string password)
    {
        using var page = await GetAuthorizeAsync(request);
        if (page.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"login page answered {(int)page.StatusCode}");
        }

        return await PostFormAsync(HiddenFields(await page.Content.ReadAsStringAsync()), username, password);
    }

    /// <summary>Signs in and returns the code from the redirect.</summary>
    public async Task<string> CodeAsync(IDictionary<string, string> request, string username, string password)
    {
        using var response = await SignInAsync(request, username, password);
        if (response.StatusCode != HttpStatusCode.Redirect)
        {
            throw new InvalidOperationException($"sign-in answered {(int)response.StatusCode}, not a redirect");
        }

        return RedirectParameters(response)["code"];
    }

    public Task<HttpResponseMessage> ExchangeAsync(string code, string verifier, string redirectUri = DevIdpServer.RedirectUri, string clientId = DevIdpServer.PublicClientId) =>
        _http.PostAsync("v1/token", new FormUrlEncodedContent(
        [
            new("grant_type", "authorization_code"),
            new("code", code),
            new("redirect_uri", redirectUri),
            new("client_id", clientId),
            new("code_verifier", verifier),
        ]));

    /// <summary>The hidden inputs of the login form, decoded as a browser would.</summary>
    public static Dictionary<string, string> HiddenFields(string html) =>
        HiddenInput().Matches(html).ToDictionary(m => m.Groups[1].Value, m => WebUtility.HtmlDecode(m.Groups[2].Value));

    /// <summary>The query parameters of a redirect's Location, which must point at <paramref name="expectedTarget"/>.</summary>
    public static Dictionary<string, string> RedirectParameters(HttpResponseMessage response, string expectedTarget = DevIdpServer.RedirectUri)
    {
        var location = response.Headers.Location?.OriginalString ?? throw new InvalidOperationException("no Location header");
        var target = new Uri(expectedTarget);
        if (!location.StartsWith(target.GetLeftPart(UriPartial.Path), StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"redirected to {location}, not {expectedTarget}");
        }

        return QueryHelpers.ParseQuery(new Uri(location).Query).ToDictionary(p => p.Key, p => p.Value.ToString());
    }

    public void Dispose() => _http.Dispose();

    [GeneratedRegex("<input type=\"hidden\" name=\"([a-z_]+)\" value=\"([^\"]*)\">")]
    private static partial Regex HiddenInput();
}
