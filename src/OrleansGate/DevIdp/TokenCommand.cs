using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using OrleansGate.Host.Commands;

namespace OrleansGate.Host.DevIdp;

/// <summary>
/// <c>orleansgate idp token</c>: obtains a client-credentials access token from an OpenID Connect issuer
/// (the development IdP, or Okta) and prints it, so it can be used directly as a PostgreSQL password; with
/// <c>--exec-credential</c> it prints it as kubectl's <see cref="ExecCredential"/> instead (an exec credential plugin).
/// </summary>
public static class TokenCommand
{
    private const int Failed = 1;
    private const int Usage = 2;

    /// <summary>
    /// Discovers the token endpoint, requests a token with HTTP Basic client authentication and writes only the
    /// access token and a newline to <paramref name="stdout"/>. On failure writes one line to <paramref name="stderr"/>
    /// (never the secret) and returns non-zero.
    /// </summary>
    public static Task<int> RunAsync(string issuer, string clientId, string clientSecret, TextWriter stdout, TextWriter stderr, CancellationToken ct) =>
        RunAsync(issuer, clientId, clientSecret, execCredential: false, stdout, stderr, ct);

    /// <summary>As above; with <paramref name="execCredential"/> the token is written as an <see cref="ExecCredential"/> JSON line.</summary>
    public static async Task<int> RunAsync(string issuer, string clientId, string clientSecret, bool execCredential, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        using var handler = new SocketsHttpHandler { AllowAutoRedirect = false };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30), MaxResponseContentBufferSize = 1024 * 1024 };
        return await RunAsync(http, TimeProvider.System, issuer, clientId, clientSecret, execCredential, stdout, stderr, ct);
    }

    internal static Task<int> RunAsync(HttpClient http, string issuer, string clientId, string clientSecret, TextWriter stdout, TextWriter stderr, CancellationToken ct) =>
        RunAsync(http, TimeProvider.System, issuer, clientId, clientSecret, execCredential: false, stdout, stderr, ct);

    internal static async Task<int> RunAsync(HttpClient http, TimeProvider time, string issuer, string clientId, string clientSecret, bool execCredential, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(issuer) || string.IsNullOrEmpty(clientId) || string.IsNullOrEmpty(clientSecret))
        {
            return await FailAsync(stderr, "an issuer, a client id and a client secret are required", clientSecret, Usage);
        }

        if (CheckEndpoint(issuer, "issuer") is { } badIssuer)
        {
            return await FailAsync(stderr, badIssuer, clientSecret, Usage);
        }

        var discoveryUrl = issuer.TrimEnd('/') + "/.well-known/openid-configuration";
        var step = $"discovery document {discoveryUrl}";
        try
        {
            string tokenEndpoint;
            using (var response = await http.GetAsync(discoveryUrl, ct))
            {
                if (!response.IsSuccessStatusCode)
                {
                    return await FailAsync(stderr, $"{step} returned HTTP {(int)response.StatusCode}", clientSecret);
                }

                using var discovery = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
                if (ReadString(discovery.RootElement, "issuer") != issuer)
                {
                    return await FailAsync(stderr, $"{step} is for issuer '{ReadString(discovery.RootElement, "issuer")}', not '{issuer}'", clientSecret);
                }

                tokenEndpoint = ReadString(discovery.RootElement, "token_endpoint") ?? "";
                if (CheckEndpoint(tokenEndpoint, "token_endpoint") is { } badEndpoint)
                {
                    return await FailAsync(stderr, $"{step}: {badEndpoint}", clientSecret);
                }
            }

            step = $"token request to {tokenEndpoint}";
            using var request = new HttpRequestMessage(HttpMethod.Post, tokenEndpoint)
            {
                Content = new FormUrlEncodedContent([new("grant_type", "client_credentials")]),
            };

            // RFC 6749 §2.3.1: form-urlencode id and secret before joining them for HTTP Basic.
            var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(clientId)}:{Uri.EscapeDataString(clientSecret)}"));
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", basic);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));

            // expires_in counts from when the IdP answered; counting from before the request keeps the estimate early.
            var requestedAt = time.GetUtcNow();
            using var tokenResponse = await http.SendAsync(request, ct);
            var body = await tokenResponse.Content.ReadAsStringAsync(ct);
            if (!tokenResponse.IsSuccessStatusCode)
            {
                return await FailAsync(stderr, $"{step} failed: HTTP {(int)tokenResponse.StatusCode}{DescribeOAuthError(body)}", clientSecret);
            }

            using var token = JsonDocument.Parse(body);
            if (ReadString(token.RootElement, "access_token") is not { Length: > 0 } accessToken)
            {
                return await FailAsync(stderr, $"{step}: the response has no access_token", clientSecret);
            }

            await stdout.WriteAsync((execCredential ? ExecCredential.Format(accessToken, ExpiresAt(token.RootElement, requestedAt)) : accessToken) + "\n");
            await stdout.FlushAsync(ct);
            return 0;
        }
        catch (HttpRequestException ex)
        {
            return await FailAsync(stderr, $"{step} failed: {ex.Message}", clientSecret);
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return await FailAsync(stderr, $"{step} timed out", clientSecret);
        }
        catch (JsonException)
        {
            return await FailAsync(stderr, $"{step}: the response is not valid JSON", clientSecret);
        }
    }

    // The secret is sent to these URLs: plain http is accepted only to this machine.
    private static string? CheckEndpoint(string url, string what)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            return $"{what} '{url}' is not an absolute http(s) URL";
        }

        return uri.Scheme == Uri.UriSchemeHttp && !uri.IsLoopback
            ? $"{what} '{url}' uses plain http on a non-loopback host; refusing to send client credentials over it"
            : null;
    }

    private static string DescribeOAuthError(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            var error = ReadString(json.RootElement, "error");
            var description = ReadString(json.RootElement, "error_description");
            return error is null ? "" : description is null ? $" {error}" : $" {error} ({description})";
        }
        catch (JsonException)
        {
            return "";
        }
    }

    /// <summary>From <c>expires_in</c> (RFC 6749 §5.1, seconds; optional): null when absent or not a positive number.</summary>
    private static DateTimeOffset? ExpiresAt(JsonElement token, DateTimeOffset requestedAt) =>
        token.TryGetProperty("expires_in", out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var seconds) && seconds is > 0 and <= 366L * 24 * 3600
            ? requestedAt.AddSeconds(seconds)
            : null;

    private static string? ReadString(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    private static async Task<int> FailAsync(TextWriter stderr, string message, string? clientSecret, int exitCode = Failed)
    {
        // A misbehaving server could echo the secret back; it must not reach a terminal or a CI log.
        if (!string.IsNullOrEmpty(clientSecret))
        {
            message = message.Replace(clientSecret, "***", StringComparison.Ordinal);
        }

        var line = new string(message.Select(c => char.IsControl(c) ? ' ' : c).ToArray());
        await stderr.WriteLineAsync($"error: {line}");
        return exitCode;
    }
}
