using System.Buffers;
using System.Text;
using System.Text.Json;
using OrleansGate.Model;

namespace OrleansGate.Grains.Approvals.Notifications;

/// <summary>
/// The Slack Block Kit message of a notice. Only the normalised statement is shown, never the full text: Slack is
/// outside the gateway, and literals (ids, amounts, personal data) would stay in its history. Approvers who need the
/// literals open the gateway's page.
/// </summary>
public static class SlackMessage
{
    /// <summary>Slack refuses a section text longer than 3,000 characters; the statement is cut below that.</summary>
    internal const int MaxStatementChars = 2_800;

    public static byte[] Build(ApprovalNotice notice, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(notice);
        var buffer = new ArrayBufferWriter<byte>(2048);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (notice.Kind != ApprovalNoticeKind.Decided)
            {
                WriteRequested(json, notice, now);
            }
            else
            {
                WriteDecided(json, notice);
            }

            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteRequested(Utf8JsonWriter json, ApprovalNotice notice, DateTimeOffset now)
    {
        var approval = notice.Approval;
        var request = approval.Request;
        var title = notice.Kind == ApprovalNoticeKind.Reminder ? "Approval still waiting" : "Approval requested";
        json.WriteString("text", $"{title}: {request.Agent.Subject} on {request.Target} ({approval.Id})");
        json.WriteStartArray("blocks");
        Header(json, title);

        json.WriteStartObject();
        json.WriteString("type", "section");
        json.WriteStartArray("fields");
        Markdown(json, $"*Agent*\n{Escape(request.Agent.Subject)} ({Escape(request.Agent.Issuer)})");
        Markdown(json, $"*Target*\n{Escape(request.Target)} ({Escape(request.Protocol)})");
        Markdown(json, $"*Rule*\n{Escape(request.Rule)}");
        Markdown(json, $"*Time left*\n{TimeLeft(approval.ExpiresAt - now)} (approvals needed: {request.Terms.Required})");
        json.WriteEndArray();
        json.WriteEndObject();

        Section(json, $"*Reason*\n{Escape(request.Reason)}");
        Section(json, $"*Statement (normalised)*\n```{Escape(Cut(request.Normalized))}```");
        Context(json, notice);

        json.WriteStartObject();
        json.WriteString("type", "actions");
        json.WriteString("block_id", "approval");
        json.WriteStartArray("elements");
        Button(json, "approve", "Approve", "primary", approval.Id);
        Button(json, "deny", "Deny", "danger", approval.Id);
        json.WriteEndArray();
        json.WriteEndObject();

        json.WriteEndArray();
    }

    private static void WriteDecided(Utf8JsonWriter json, ApprovalNotice notice)
    {
        var approval = notice.Approval;
        var outcome = approval.Status.ToString().ToLowerInvariant();
        var by = approval.DecidedBy is { } who ? $" by {Escape(who)}" : "";
        var line = $"`{approval.Id}` ({Escape(approval.Request.Agent.Subject)} on {Escape(approval.Request.Target)}) was *{outcome}*{by}.";
        if (!string.IsNullOrWhiteSpace(approval.DecisionComment))
        {
            line += $"\n>{Escape(approval.DecisionComment)}";
        }

        json.WriteString("text", $"Approval {approval.Id} {outcome}{(approval.DecidedBy is { } d ? " by " + d : "")}");
        json.WriteStartArray("blocks");
        Header(json, $"Approval {outcome}");
        Section(json, line);
        Context(json, notice);
        json.WriteEndArray();
    }

    private static void Header(Utf8JsonWriter json, string text)
    {
        json.WriteStartObject();
        json.WriteString("type", "header");
        json.WriteStartObject("text");
        json.WriteString("type", "plain_text");
        json.WriteString("text", text);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void Section(Utf8JsonWriter json, string markdown)
    {
        json.WriteStartObject();
        json.WriteString("type", "section");
        json.WritePropertyName("text");
        Markdown(json, markdown);
        json.WriteEndObject();
    }

    private static void Context(Utf8JsonWriter json, ApprovalNotice notice)
    {
        var text = new StringBuilder($"`{notice.Approval.Id}`");
        if (notice.DecideUrl is { } url)
        {
            text.Append($" · <{url}|Open in the gateway>");
        }

        text.Append($" · `{Escape(notice.CliLine)}`");
        json.WriteStartObject();
        json.WriteString("type", "context");
        json.WriteStartArray("elements");
        Markdown(json, text.ToString());
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void Button(Utf8JsonWriter json, string actionId, string label, string style, string approvalId)
    {
        json.WriteStartObject();
        json.WriteString("type", "button");
        json.WriteString("action_id", actionId);
        json.WriteStartObject("text");
        json.WriteString("type", "plain_text");
        json.WriteString("text", label);
        json.WriteEndObject();
        json.WriteString("style", style);
        json.WriteString("value", approvalId);
        json.WriteEndObject();
    }

    private static void Markdown(Utf8JsonWriter json, string text)
    {
        json.WriteStartObject();
        json.WriteString("type", "mrkdwn");
        json.WriteString("text", text);
        json.WriteEndObject();
    }

    /// <summary>Slack reads &amp;, &lt; and &gt; as control characters in message text (links, mentions); these three are all it asks to escape.</summary>
    internal static string Escape(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal)
        .Replace("<", "&lt;", StringComparison.Ordinal)
        .Replace(">", "&gt;", StringComparison.Ordinal);

    /// <summary>How long an approver has left, in the largest unit that fits.</summary>
    public static string TimeLeft(TimeSpan left) => left switch
    {
        { Ticks: <= 0 } => "expired",
        { TotalMinutes: < 1 } => $"{(int)Math.Ceiling(left.TotalSeconds)} s",
        { TotalHours: < 1 } => $"{(int)left.TotalMinutes} min",
        _ => $"{(int)left.TotalHours} h {left.Minutes} min",
    };

    private static string Cut(string text) => text.Length <= MaxStatementChars ? text : string.Concat(text.AsSpan(0, MaxStatementChars), " …");
}
