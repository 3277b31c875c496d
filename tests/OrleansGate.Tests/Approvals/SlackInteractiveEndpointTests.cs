using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using OrleansGate.Host.Approvals;
using OrleansGate.Tests.DevIdp;

namespace OrleansGate.Tests.Approvals;

/// <summary>Slack's button clicks over real HTTP, signed as Slack signs them, into a recording voter.</summary>
public sealed class SlackInteractiveEndpointTests : IAsyncLifetime
{
    private readonly TempDirectory _directory = new();
    private SlackInteractiveServer _server = null!;

    public async Task InitializeAsync() => _server = await SlackInteractiveServer.StartAsync(Path.Combine(_directory.Path, "slack-signing-secret"));

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _directory.Dispose();
    }

    [Theory]
    [InlineData("approve", true)]
    [InlineData("deny", false)]
    public async Task Correctly_signed_click_is_voted_as_the_mapped_approver_and_answered_with_the_vote_message(string action, bool approve)
    {
        var body = Click(SlackInteractiveServer.MappedUser, action, ApprovalSamples.Id);

        using var response = await PostAsync(body, SlackInteractiveServer.SigningSecret, SlackInteractiveServer.Now);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var (id, vote) = Assert.Single(_server.Voter.Votes);
        Assert.Equal(ApprovalSamples.Id, id);
        Assert.Equal(("https://idp.example/oauth2/default", "carol"), (vote.Approver.Issuer, vote.Approver.Subject));
        Assert.Equal(["dba"], vote.Approver.Groups);
        Assert.Equal((approve, "via Slack", TimeSpan.Zero, "slack"), (vote.Approve, vote.Comment, vote.ReuseWindow, vote.Channel));
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal($"carol's vote on {ApprovalSamples.Id} is counted; 1 more approval needed", (string?)answer["message"]);
        Assert.Equal("Counted", (string?)answer["outcome"]);
    }

    [Fact]
    public async Task Click_signed_with_another_secret_is_refused_with_401_and_no_vote()
    {
        using var response = await PostAsync(Click(SlackInteractiveServer.MappedUser, "approve", ApprovalSamples.Id), "not-the-signing-secret", SlackInteractiveServer.Now);

        await AssertRefusedAsync(response, HttpStatusCode.Unauthorized, "does not match");
    }

    [Fact]
    public async Task Replayed_click_with_a_six_minute_old_timestamp_is_refused_with_401_and_no_vote()
    {
        using var response = await PostAsync(Click(SlackInteractiveServer.MappedUser, "approve", ApprovalSamples.Id), SlackInteractiveServer.SigningSecret, SlackInteractiveServer.Now.AddMinutes(-6));

        await AssertRefusedAsync(response, HttpStatusCode.Unauthorized, "more than 5 minutes");
    }

    [Fact]
    public async Task Unsigned_click_is_refused_with_401_and_no_vote()
    {
        using var content = new ByteArrayContent(Click(SlackInteractiveServer.MappedUser, "approve", ApprovalSamples.Id));
        using var response = await _server.Http.PostAsync(SlackInteractiveEndpoint.Path.TrimStart('/'), content);

        await AssertRefusedAsync(response, HttpStatusCode.Unauthorized, "are required");
    }

    [Fact]
    public async Task Click_of_an_unmapped_slack_user_is_refused_with_403_and_no_vote()
    {
        using var response = await PostAsync(Click("U999UNKNOWN", "approve", ApprovalSamples.Id), SlackInteractiveServer.SigningSecret, SlackInteractiveServer.Now);

        await AssertRefusedAsync(response, HttpStatusCode.Forbidden, "U999UNKNOWN is not mapped");
    }

    [Theory]
    [InlineData("approve", "apr-not-an-id")]
    [InlineData("escalate", ApprovalSamples.Id)]
    public async Task Signed_click_with_a_bad_action_or_id_is_refused_with_400_and_no_vote(string action, string id)
    {
        using var response = await PostAsync(Click(SlackInteractiveServer.MappedUser, action, id), SlackInteractiveServer.SigningSecret, SlackInteractiveServer.Now);

        await AssertRefusedAsync(response, HttpStatusCode.BadRequest, "approve or deny");
    }

    [Fact]
    public async Task Signed_body_that_is_not_a_slack_payload_is_refused_with_400_and_no_vote()
    {
        using var response = await PostAsync("payload=%7Bnot+json"u8.ToArray(), SlackInteractiveServer.SigningSecret, SlackInteractiveServer.Now);

        await AssertRefusedAsync(response, HttpStatusCode.BadRequest, "not JSON");
    }

    [Fact]
    public async Task Body_over_64_KiB_is_refused_with_413_before_its_signature_is_checked()
    {
        var body = new byte[SlackInteractiveEndpoint.MaxBodyBytes + 1];
        body.AsSpan().Fill((byte)'a');

        using var response = await PostAsync(body, SlackInteractiveServer.SigningSecret, SlackInteractiveServer.Now);

        await AssertRefusedAsync(response, HttpStatusCode.RequestEntityTooLarge, "exceeds");
    }

    private static byte[] Click(string user, string action, string id)
    {
        var payload = new JsonObject
        {
            ["type"] = "block_actions",
            ["user"] = new JsonObject { ["id"] = user, ["username"] = "carol" },
            ["actions"] = new JsonArray(new JsonObject { ["action_id"] = action, ["block_id"] = "approval", ["value"] = id, ["type"] = "button" }),
        };
        return Encoding.UTF8.GetBytes("payload=" + Uri.EscapeDataString(payload.ToJsonString()));
    }

    private async Task<HttpResponseMessage> PostAsync(byte[] body, string secret, DateTimeOffset at)
    {
        var timestamp = at.ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, SlackInteractiveEndpoint.Path.TrimStart('/')) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/x-www-form-urlencoded");
        request.Headers.Add(SlackSignature.TimestampHeader, timestamp.ToString());
        request.Headers.Add(SlackSignature.SignatureHeader, SlackSigning.Sign(secret, timestamp, body));
        return await _server.Http.SendAsync(request);
    }

    private async Task AssertRefusedAsync(HttpResponseMessage response, HttpStatusCode status, string reason)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Contains(reason, (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"], StringComparison.Ordinal);
        Assert.Empty(_server.Voter.Votes);
    }
}
