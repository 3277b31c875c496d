using System.Net.Http.Headers;

namespace OrleansGate.Grains.Approvals.Notifications;

/// <summary>One JSON POST to a webhook, as both notifiers send it.</summary>
internal static class WebhookPost
{
    /// <summary>Posts <paramref name="json"/>; a non-2xx answer throws <see cref="HttpRequestException"/> carrying the status (and no URL).</summary>
    public static async Task SendAsync(
        HttpClient http, Uri url, byte[] json, (string Name, string Value)? header, string notifier, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(json) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        if (header is { } h)
        {
            request.Headers.TryAddWithoutValidation(h.Name, h.Value);
        }

        // Headers only: the receiver's answer body is of no use, and a large one would only cost memory.
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"the {notifier} receiver answered HTTP {(int)response.StatusCode}", null, response.StatusCode);
        }
    }
}
