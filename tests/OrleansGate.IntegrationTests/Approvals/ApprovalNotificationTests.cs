using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Npgsql;
using OrleansGate.IntegrationTests.Fixtures;

namespace OrleansGate.IntegrationTests.Approvals;

/// <summary>
/// Notices and Slack on a real cluster: an opened approval is posted to the JSON webhook (normalised text only) and
/// reminded while it waits, a
/// correctly signed Slack click decides it and the waiting agent gets its result; a wrongly signed click and a replayed
/// one (its timestamp older than five minutes) are refused and change nothing.
/// </summary>
[Collection(ApprovalCollection.Name)]
public sealed partial class ApprovalNotificationTests(ApprovalFixture fixture)
{
    [GeneratedRegex("apr-[0-9a-f]{20}")]
    private static partial Regex ApprovalId();

    [Fact]
    public async Task Webhook_gets_the_request_and_its_decision_and_only_a_correctly_signed_fresh_slack_click_decides_it()
    {
        var token = await fixture.Node.GetTokenAsync(GatewaySettings.AgentClientId);
        await using var agent = new NpgsqlConnection(fixture.Node.ConnectionString(token));
        var notice = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        agent.Notice += (_, e) => notice.TrySetResult(ApprovalId().Match(e.Notice.MessageText).Value);
        await agent.OpenAsync();
        await using var command = new NpgsqlCommand("UPDATE items SET note = 'slack-secret-literal' WHERE id = 30", agent);
        var running = command.ExecuteNonQueryAsync();
        var id = await notice.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var requested = await fixture.Webhook.NextAsync("approval.requested", id);
        Assert.Equal("orders-wait", requested.GetProperty("approval").GetProperty("rule").GetString());
        Assert.StartsWith("UPDATE items SET note = $1", requested.GetProperty("approval").GetProperty("normalized").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("slack-secret-literal", requested.GetRawText(), StringComparison.Ordinal);

        // While it waits, approvers are reminded (every second in these tests).
        var reminder = await fixture.Webhook.NextAsync("approval.reminder", id);
        Assert.Equal("pending", reminder.GetProperty("approval").GetProperty("status").GetString());

        var now = DateTimeOffset.UtcNow;
        var click = Click(ApprovalFixture.SlackUser, "approve", id);
        Assert.Equal(401, await PostAsync(click, "not-the-signing-secret", now));
        Assert.Equal(401, await PostAsync(click, fixture.SlackSigningSecret, now.AddMinutes(-6)));
        var (_, pending) = await fixture.CallAsync(fixture.Node, HttpMethod.Get, $"/api/approvals/{id}", await fixture.Node.GetTokenAsync("bob"));
        Assert.Equal("pending", pending.GetProperty("status").GetString());
        Assert.Equal(0, pending.GetProperty("votes").GetArrayLength());
        Assert.False(running.IsCompleted);

        Assert.Equal(200, await PostAsync(click, fixture.SlackSigningSecret, now));

        Assert.Equal(1, await running);
        Assert.Equal("slack-secret-literal", await fixture.NoteAsync(30));
        var decided = await fixture.Webhook.NextAsync("approval.decided", id);
        Assert.Equal("approved", decided.GetProperty("approval").GetProperty("status").GetString());
        var vote = Assert.Single(decided.GetProperty("approval").GetProperty("votes").EnumerateArray());
        Assert.Equal("carol", vote.GetProperty("approver").GetString());
        Assert.Equal("slack", vote.GetProperty("channel").GetString());
    }

    private static byte[] Click(string user, string action, string id)
    {
        var payload = new JsonObject
        {
            ["type"] = "block_actions",
            ["user"] = new JsonObject { ["id"] = user },
            ["actions"] = new JsonArray(new JsonObject { ["action_id"] = action, ["value"] = id, ["type"] = "button" }),
        };
        return Encoding.UTF8.GetBytes("payload=" + Uri.EscapeDataString(payload.ToJsonString()));
    }

    /// <summary>Posts as Slack does: v0 signature over the timestamp and the raw body.</summary>
    private async Task<int> PostAsync(byte[] body, string secret, DateTimeOffset at)
    {
        var timestamp = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var signed = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), (byte[])[.. Encoding.UTF8.GetBytes($"v0:{timestamp}:"), .. body]);
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{fixture.Other.Settings.HttpPort}/api/slack/interactive")
        {
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = new("application/x-www-form-urlencoded");
        request.Headers.Add("X-Slack-Request-Timestamp", timestamp);
        request.Headers.Add("X-Slack-Signature", "v0=" + Convert.ToHexStringLower(signed));
        using var response = await http.SendAsync(request);
        return (int)response.StatusCode;
    }
}
