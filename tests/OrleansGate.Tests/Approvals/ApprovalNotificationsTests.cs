using System.Text.Json;
using OrleansGate.Grains.Approvals.Notifications;
using OrleansGate.Model;
using OrleansGate.Tests.DevIdp;

namespace OrleansGate.Tests.Approvals;

/// <summary>Notices delivered over real HTTP to a loopback receiver, retried on a fake clock the test advances.</summary>
public sealed class ApprovalNotificationsTests : IDisposable
{
    // Where a real Slack webhook URL keeps its secret: in the path.
    private const string SlackSecretPath = "/services/T0001/B0002/sEcReTtOkEn0123456789";

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Slack_message_carries_approve_and_deny_buttons_with_the_id_and_the_normalised_statement_never_the_full_text()
    {
        await using var receiver = await WebhookReceiver.StartAsync(_ => 200);
        await using var harness = await NotificationHarness.StartAsync(SlackSettings(receiver));

        // Built with the full text still in the view: the notifier itself must leave it out.
        harness.Notifications.Enqueue(new ApprovalNotice(ApprovalNoticeKind.Requested, ApprovalSamples.Pending(), "http://127.0.0.1:18080/approvals/" + ApprovalSamples.Id, "orleansgate approvals approve " + ApprovalSamples.Id));
        var post = await receiver.NextAsync();

        Assert.Equal(SlackSecretPath, post.Path);
        Assert.StartsWith("application/json", post.Headers["Content-Type"], StringComparison.Ordinal);
        Assert.DoesNotContain(ApprovalSamples.Literal, post.Text, StringComparison.Ordinal);
        using var json = post.Json();
        var blocks = json.RootElement.GetProperty("blocks").EnumerateArray().ToList();
        Assert.Equal("header", blocks[0].GetProperty("type").GetString());
        var buttons = blocks.Single(b => b.GetProperty("type").GetString() == "actions").GetProperty("elements").EnumerateArray().ToList();
        Assert.Equal(["approve", "deny"], buttons.Select(b => b.GetProperty("action_id").GetString()));
        Assert.All(buttons, b => Assert.Equal(ApprovalSamples.Id, b.GetProperty("value").GetString()));
        var texts = string.Join("\n", blocks.SelectMany(MarkdownTexts));
        Assert.Contains(ApprovalSamples.Normalized, texts, StringComparison.Ordinal);
        Assert.Contains("agent-ci", texts, StringComparison.Ordinal);
        Assert.Contains("orders-db", texts, StringComparison.Ordinal);
        Assert.Contains("deletes-need-approval", texts, StringComparison.Ordinal);
        Assert.Contains("deletes on customers need a DBA", texts, StringComparison.Ordinal);
        Assert.Contains("12 min", texts, StringComparison.Ordinal); // the fake clock stands 3 of 15 minutes in
    }

    [Fact]
    public async Task Json_webhook_event_has_the_documented_shape_and_header_without_the_full_text()
    {
        var headerVariable = "ORLEANSGATE_TEST_WEBHOOK_HEADER_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(headerVariable, "Authorization: Bearer receiver-token");
        try
        {
            await using var receiver = await WebhookReceiver.StartAsync(_ => 204);
            await using var harness = await NotificationHarness.StartAsync(new Dictionary<string, string?>
            {
                ["Webhook:Url"] = receiver.Address + "/hooks/approvals",
                ["Webhook:HeaderEnv"] = headerVariable,
                ["PageUrl"] = "http://127.0.0.1:18080/approvals/",
            });

            harness.Notifications.Enqueue(ApprovalNoticeKind.Decided, ApprovalSamples.Denied());
            var post = await receiver.NextAsync();

            Assert.Equal("Bearer receiver-token", post.Headers["Authorization"]);
            Assert.DoesNotContain(ApprovalSamples.Literal, post.Text, StringComparison.Ordinal);
            using var json = post.Json();
            var root = json.RootElement;
            Assert.Equal(["approval", "cli", "decide_url", "event"], Names(root));
            Assert.Equal("approval.decided", root.GetProperty("event").GetString());
            Assert.Equal("http://127.0.0.1:18080/approvals/" + ApprovalSamples.Id, root.GetProperty("decide_url").GetString());
            Assert.Equal("orleansgate approvals show " + ApprovalSamples.Id, root.GetProperty("cli").GetString());

            var approval = root.GetProperty("approval");
            Assert.Equal(
                ["agent", "comment", "decided_at", "expires_at", "fingerprint", "id", "normalized", "protocol", "reason", "requested_at", "required", "rule", "status", "target", "votes"],
                Names(approval));
            Assert.Equal(ApprovalSamples.Id, approval.GetProperty("id").GetString());
            Assert.Equal("denied", approval.GetProperty("status").GetString());
            Assert.Equal("agent-ci", approval.GetProperty("agent").GetProperty("subject").GetString());
            Assert.Equal("https://idp.example/oauth2/default", approval.GetProperty("agent").GetProperty("issuer").GetString());
            Assert.Equal(ApprovalSamples.Normalized, approval.GetProperty("normalized").GetString());
            Assert.Equal(2, approval.GetProperty("required").GetInt32());
            Assert.Equal(ApprovalSamples.RequestedAt.AddMinutes(2), approval.GetProperty("decided_at").GetDateTimeOffset());
            var votes = approval.GetProperty("votes").EnumerateArray().ToList();
            Assert.Equal(["approve", "approver", "at", "channel", "comment"], Names(votes[1]));
            Assert.Equal(("carol", false, "slack"), (votes[1].GetProperty("approver").GetString(), votes[1].GetProperty("approve").GetBoolean(), votes[1].GetProperty("channel").GetString()));
        }
        finally
        {
            Environment.SetEnvironmentVariable(headerVariable, null);
        }
    }

    [Fact]
    public async Task Receiver_failing_twice_with_500_then_accepting_gets_the_notice_once_after_retries_of_1_and_2_seconds()
    {
        await using var receiver = await WebhookReceiver.StartAsync(n => n <= 2 ? 500 : 200);
        await using var harness = await NotificationHarness.StartAsync(new Dictionary<string, string?> { ["Webhook:Url"] = receiver.Address + "/hook" });

        harness.Notifications.Enqueue(ApprovalNoticeKind.Requested, ApprovalSamples.Pending());
        Assert.Equal(500, (await receiver.NextAsync()).Status);
        Assert.Equal(TimeSpan.FromSeconds(1), await AdvanceToNextRetryAsync(harness));
        Assert.Equal(500, (await receiver.NextAsync()).Status);
        Assert.Equal(TimeSpan.FromSeconds(2), await AdvanceToNextRetryAsync(harness));
        Assert.Equal(200, (await receiver.NextAsync()).Status);

        // A second notice arriving next shows the loop moved on without posting the first again.
        const string Next = "apr-ffffffffffffffffffff";
        harness.Notifications.Enqueue(ApprovalNoticeKind.Requested, ApprovalSamples.Pending(Next));
        using var next = (await receiver.NextAsync()).Json();
        Assert.Equal(Next, next.RootElement.GetProperty("approval").GetProperty("id").GetString());
        Assert.Equal(4, receiver.Count);
        await harness.Logs.WaitForAsync(l => l.Contains($"{ApprovalSamples.Id} to webhook delivered at attempt 3", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Receiver_always_failing_is_given_up_after_five_attempts_with_capped_backoff_and_logs_never_name_the_url_or_statement()
    {
        await using var receiver = await WebhookReceiver.StartAsync(_ => 500);
        await using var harness = await NotificationHarness.StartAsync(SlackSettings(receiver, ("MaxRetryDelay", "00:00:04")));

        harness.Notifications.Enqueue(ApprovalNoticeKind.Requested, ApprovalSamples.Pending());
        await receiver.NextAsync();
        var delays = new List<TimeSpan>();
        for (var retry = 0; retry < 4; retry++)
        {
            delays.Add(await AdvanceToNextRetryAsync(harness));
            await receiver.NextAsync();
        }

        var gaveUp = await harness.Logs.WaitForAsync(l => l.StartsWith("Error", StringComparison.Ordinal) && l.Contains("not delivered", StringComparison.Ordinal));
        Assert.Equal([1, 2, 4, 4], delays.Select(d => d.TotalSeconds));
        Assert.Contains($"Approval notice of {ApprovalSamples.Id} to slack not delivered after 5 attempts: HTTP 500", gaveUp, StringComparison.Ordinal);
        Assert.Equal(5, receiver.Count);

        // Every category at every level, HttpClient's own included: none may carry the webhook URL or the statement.
        var host = new Uri(receiver.Address).Authority;
        Assert.All(harness.Logs.Lines, line =>
        {
            Assert.DoesNotContain("sEcReTtOkEn", line, StringComparison.Ordinal);
            Assert.DoesNotContain(host, line, StringComparison.Ordinal);
            Assert.DoesNotContain(ApprovalSamples.Literal, line, StringComparison.Ordinal);
            Assert.DoesNotContain(ApprovalSamples.Normalized, line, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task Enqueue_while_delivery_is_stuck_returns_at_once_and_drops_past_capacity_with_one_warning()
    {
        await using var receiver = await WebhookReceiver.StartAsync(_ => 500);
        await using var harness = await NotificationHarness.StartAsync(SlackSettings(receiver, ("QueueCapacity", "4")));
        harness.Notifications.Enqueue(ApprovalNoticeKind.Requested, ApprovalSamples.Pending());
        await receiver.NextAsync(); // the loop holds the first notice, waiting to retry on a clock nobody advances

        // On another thread with a deadline, so an Enqueue that blocked would fail the test instead of hanging it.
        await Task.Run(() =>
        {
            for (var i = 0; i < 10; i++)
            {
                harness.Notifications.Enqueue(ApprovalNoticeKind.Requested, ApprovalSamples.Pending($"apr-{i:x20}"));
            }
        }).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(6, harness.Notifications.Dropped);
        var warnings = harness.Logs.Lines.Where(l => l.Contains("queue is full", StringComparison.Ordinal)).ToList();
        Assert.Single(warnings);
        Assert.StartsWith("Warning", warnings[0], StringComparison.Ordinal);
        Assert.Equal(1, receiver.Count);
    }

    [Fact]
    public async Task Nothing_configured_registers_no_notifier_and_enqueue_is_a_no_op()
    {
        await using var harness = await NotificationHarness.StartAsync(new Dictionary<string, string?>());

        harness.Notifications.Enqueue(ApprovalNoticeKind.Requested, ApprovalSamples.Pending());

        Assert.Empty(harness.Notifications.Notifiers);
        Assert.Equal(0, harness.Notifications.Dropped);
    }

    private static async Task<TimeSpan> AdvanceToNextRetryAsync(NotificationHarness harness)
    {
        var due = await harness.Time.NextTimerAsync();
        harness.Time.Advance(due);
        return due;
    }

    private Dictionary<string, string?> SlackSettings(WebhookReceiver receiver, params (string Key, string Value)[] more)
    {
        var file = Path.Combine(_directory.Path, "slack-webhook-url");
        File.WriteAllText(file, receiver.Address + SlackSecretPath + "\n");
        var settings = new Dictionary<string, string?> { ["Slack:WebhookUrlFile"] = file };
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        return settings;
    }

    private static string[] Names(JsonElement element) => [.. element.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal)];

    private static IEnumerable<string> MarkdownTexts(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().SelectMany(p =>
            p.Name == "text" && p.Value.ValueKind == JsonValueKind.String ? [p.Value.GetString()!] : MarkdownTexts(p.Value)),
        JsonValueKind.Array => element.EnumerateArray().SelectMany(MarkdownTexts),
        _ => [],
    };
}
