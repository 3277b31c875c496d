using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.IntegrationTests.Infrastructure;

namespace OrleansGate.IntegrationTests.Approvals;

/// <summary>
/// The approvers' API of one node (<c>/api/approvals</c> on its HTTP listener), called with a person's token of the
/// fixture's development IdP: what the path tests (kubectl, SSH, MCP) use to find and decide a held request.
/// </summary>
internal sealed class ApprovalsApiClient(GatewayFixture fixture, GatewayNode node)
{
    /// <summary>Calls the API as <paramref name="approver"/>; the status and the JSON body (an empty one as <c>{}</c>).</summary>
    public async Task<(int Status, JsonElement Body)> CallAsync(HttpMethod method, string path, string approver, object? body = null)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        using var request = new HttpRequestMessage(method, $"http://127.0.0.1:{node.Settings.HttpPort}{path}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await fixture.Node.GetTokenAsync(approver));
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        using var json = JsonDocument.Parse(text.Length == 0 ? "{}" : text);
        return ((int)response.StatusCode, json.RootElement.Clone());
    }

    /// <summary>The pending approval whose text holds <paramref name="what"/>, as bob lists it (bounded poll: nothing signals it).</summary>
    public async Task<JsonElement> PendingAsync(string what)
    {
        JsonElement found = default;
        await Poll.UntilAsync(async () =>
        {
            var (status, body) = await CallAsync(HttpMethod.Get, "/api/approvals", "bob");
            Assert.Equal(200, status);
            foreach (var approval in body.GetProperty("approvals").EnumerateArray())
            {
                if (approval.GetProperty("statement").GetString()?.Contains(what, StringComparison.Ordinal) == true)
                {
                    found = approval;
                    return true;
                }
            }

            return false;
        }, $"no approval for {what} appeared", seconds: 30);
        return found;
    }
}
