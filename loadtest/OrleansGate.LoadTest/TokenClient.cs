using System.Net.Http.Json;
using System.Text.Json.Serialization;

namespace OrleansGate.LoadTest;

/// <summary>Gets access tokens from the development identity provider (client-credentials grant).</summary>
public static class TokenClient
{
    public static Task<IReadOnlyList<string>> FetchAsync(TargetSpec target, int count, CancellationToken ct) =>
        FetchAsync(target.Name, target.TokenUrl, target.TokenClients, count, ct);

    public static async Task<IReadOnlyList<string>> FetchAsync(string target, string? tokenUrl, IReadOnlyList<ClientCredential> clients, int count, CancellationToken ct)
    {
        if (tokenUrl is null || clients.Count == 0)
        {
            throw new InvalidOperationException($"target '{target}' has no token endpoint or clients");
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var tokens = new string[Math.Min(count, clients.Count)];
        for (var i = 0; i < tokens.Length; i++)
        {
            var client = clients[i];
            using var form = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials",
                ["client_id"] = client.Id,
                ["client_secret"] = client.Secret,
            });
            using var response = await http.PostAsync(new Uri(tokenUrl), form, ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                // The body is OAuth JSON that never echoes the secret; safe to show.
                var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
                throw new InvalidOperationException($"token request for client '{client.Id}' failed: {(int)response.StatusCode} {body}");
            }

            var answer = await response.Content.ReadFromJsonAsync<TokenAnswer>(ct).ConfigureAwait(false);
            tokens[i] = answer?.AccessToken ?? throw new InvalidOperationException($"token answer for '{client.Id}' had no access_token");
        }

        return tokens;
    }

    private sealed record TokenAnswer([property: JsonPropertyName("access_token")] string? AccessToken);
}
