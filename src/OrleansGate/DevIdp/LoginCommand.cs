using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace OrleansGate.Host.DevIdp;

/// <summary>
/// <c>orleansgate idp login --user NAME</c>: signs a development user in at the development IdP with the
/// authorization-code flow and PKCE, as the approvals page does in a browser, and prints the user's access token (for
/// <c>approvals</c> on the command line). Only for the development IdP, whose login form it fills in; never the password
/// or the code in its output.
/// </summary>
public static class LoginCommand
{
    public static async Task<int> RunAsync(DevIdpOptions idp, string user, string? passwordFile, string? clientId, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(idp);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        var client = clientId is null ? idp.PublicClients.FirstOrDefault() : idp.PublicClients.FirstOrDefault(c => c.ClientId == clientId);
        if (client is null || client.RedirectUris.Count == 0)
        {
            await stderr.WriteLineAsync($"error: no public client {(clientId is null ? "" : $"'{clientId}' ")}with a redirect URI in DevIdp:PublicClients");
            return 2;
        }

        string password;
        if (passwordFile is not null)
        {
            password = File.Exists(passwordFile) ? File.ReadLines(passwordFile).FirstOrDefault() ?? "" : "";
        }
        else if (idp.Users.FirstOrDefault(u => u.Username == user) is not { } configured || !DevIdpCredentials.TryReadPassword(configured, out password, out _))
        {
            await stderr.WriteLineAsync($"error: no --password-file given and user '{user}' has no readable password in DevIdp:Users");
            return 2;
        }

        using var handler = new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        try
        {
            using var discovery = JsonDocument.Parse(await http.GetStringAsync(idp.Issuer.TrimEnd('/') + "/.well-known/openid-configuration", ct));
            var authorize = discovery.RootElement.GetProperty("authorization_endpoint").GetString()!;
            var tokenEndpoint = discovery.RootElement.GetProperty("token_endpoint").GetString()!;
            var verifier = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
            var challenge = Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
            var state = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16));
            var redirectUri = client.RedirectUris[0];

            // What the browser posts from the login form: the request's parameters and the credentials.
            using var login = await http.PostAsync(authorize, new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["client_id"] = client.ClientId,
                ["redirect_uri"] = redirectUri,
                ["response_type"] = "code",
                ["scope"] = "openid groups",
                ["state"] = state,
                ["code_challenge"] = challenge,
                ["code_challenge_method"] = "S256",
                ["nonce"] = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16)),
                ["username"] = user,
                ["password"] = password,
            }), ct);
            if (login.StatusCode != HttpStatusCode.Found || login.Headers.Location is not { } location)
            {
                await stderr.WriteLineAsync($"error: sign-in refused (HTTP {(int)login.StatusCode}): invalid username or password, or the client is not allowed");
                return 2;
            }

            var query = System.Web.HttpUtility.ParseQueryString(location.Query);
            if (query["state"] != state || query["code"] is not { Length: > 0 } code)
            {
                await stderr.WriteLineAsync($"error: the IdP answered without a code ({query["error"] ?? "state mismatch"})");
                return 2;
            }

            using var token = await http.PostAsync(tokenEndpoint, new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "authorization_code",
                ["code"] = code,
                ["redirect_uri"] = redirectUri,
                ["client_id"] = client.ClientId,
                ["code_verifier"] = verifier,
            }), ct);
            using var body = JsonDocument.Parse(await token.Content.ReadAsStringAsync(ct));
            if (!token.IsSuccessStatusCode || !body.RootElement.TryGetProperty("access_token", out var access))
            {
                await stderr.WriteLineAsync($"error: code exchange refused (HTTP {(int)token.StatusCode})");
                return 2;
            }

            await stdout.WriteLineAsync(access.GetString());
            return 0;
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            await stderr.WriteLineAsync($"error: the development IdP at {idp.Issuer} could not be used: {e.Message}");
            return 1;
        }
    }
}
