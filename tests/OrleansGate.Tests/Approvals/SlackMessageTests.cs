using System.Text.Json;
using OrleansGate.Grains.Approvals.Notifications;

namespace OrleansGate.Tests.Approvals;

public sealed class SlackMessageTests
{
    [Fact]
    public void Decided_message_states_the_outcome_and_who_decided_and_offers_no_buttons()
    {
        var notice = ApprovalNotice.Create(ApprovalNoticeKind.Decided, ApprovalSamples.Denied(), "http://127.0.0.1:18080/approvals");

        using var json = JsonDocument.Parse(SlackMessage.Build(notice, ApprovalSamples.RequestedAt.AddMinutes(3)));

        var blocks = json.RootElement.GetProperty("blocks").EnumerateArray().ToList();
        Assert.Equal("Approval denied", blocks[0].GetProperty("text").GetProperty("text").GetString());
        var line = blocks[1].GetProperty("text").GetProperty("text").GetString()!;
        Assert.Contains("was *denied* by carol", line, StringComparison.Ordinal);
        Assert.Contains("not during month end", line, StringComparison.Ordinal);
        Assert.DoesNotContain(blocks, b => b.GetProperty("type").GetString() == "actions");
        Assert.Equal("Approval apr-0123456789abcdef0123 denied by carol", json.RootElement.GetProperty("text").GetString());
    }

    [Fact]
    public void Reminder_says_the_request_still_waits_and_offers_the_buttons_again()
    {
        var notice = ApprovalNotice.Create(ApprovalNoticeKind.Reminder, ApprovalSamples.Pending(), null);

        using var json = JsonDocument.Parse(SlackMessage.Build(notice, ApprovalSamples.RequestedAt.AddMinutes(5)));

        var blocks = json.RootElement.GetProperty("blocks").EnumerateArray().ToList();
        Assert.Equal("Approval still waiting", blocks[0].GetProperty("text").GetProperty("text").GetString());
        var actions = Assert.Single(blocks, b => b.GetProperty("type").GetString() == "actions");
        Assert.All(actions.GetProperty("elements").EnumerateArray(), b => Assert.Equal(ApprovalSamples.Id, b.GetProperty("value").GetString()));
        Assert.StartsWith("orleansgate approvals approve", notice.CliLine, StringComparison.Ordinal);
    }

    [Fact]
    public void Statement_text_is_escaped_so_it_cannot_form_slack_links_or_mentions()
    {
        var approval = ApprovalSamples.Pending();
        approval = approval with { Request = approval.Request with { Normalized = "SELECT $1 <@U024BE7LH> & <https://evil.example|click>" } };

        using var json = JsonDocument.Parse(SlackMessage.Build(ApprovalNotice.Create(ApprovalNoticeKind.Requested, approval, null), ApprovalSamples.RequestedAt));

        var statement = json.RootElement.GetProperty("blocks")[3].GetProperty("text").GetProperty("text").GetString();
        Assert.Equal("*Statement (normalised)*\n```SELECT $1 &lt;@U024BE7LH&gt; &amp; &lt;https://evil.example|click&gt;```", statement);
    }

    [Fact]
    public void Notice_created_for_an_approval_drops_its_full_text_and_links_its_page()
    {
        var notice = ApprovalNotice.Create(ApprovalNoticeKind.Requested, ApprovalSamples.Pending(), "http://127.0.0.1:18080/approvals/");

        Assert.Equal("", notice.Approval.Request.Text);
        Assert.Equal("http://127.0.0.1:18080/approvals/" + ApprovalSamples.Id, notice.DecideUrl);
        Assert.StartsWith("orleansgate approvals approve " + ApprovalSamples.Id, notice.CliLine, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, "expired")]
    [InlineData(59, "59 s")]
    [InlineData(720, "12 min")]
    [InlineData(5400, "1 h 30 min")]
    public void Time_left_reads_in_the_largest_fitting_unit(int seconds, string expected) =>
        Assert.Equal(expected, SlackMessage.TimeLeft(TimeSpan.FromSeconds(seconds)));
}
