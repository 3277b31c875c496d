using System.Buffers;
using System.Text.Json;

namespace OrleansGate.Grains.Approvals.Notifications;

/// <summary>
/// The body <see cref="JsonWebhookNotifier"/> posts: <c>{"event", "approval": {…}, "decide_url", "cli"}</c>. The
/// approval carries its normalised statement and fingerprint, never the full text (the receiver is outside the gateway).
/// </summary>
public static class ApprovalEventJson
{
    public static byte[] Build(ApprovalNotice notice)
    {
        ArgumentNullException.ThrowIfNull(notice);
        var approval = notice.Approval;
        var request = approval.Request;
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("event", notice.Kind switch
            {
                ApprovalNoticeKind.Requested => "approval.requested",
                ApprovalNoticeKind.Reminder => "approval.reminder",
                _ => "approval.decided",
            });
            json.WriteStartObject("approval");
            json.WriteString("id", approval.Id);
            json.WriteString("status", approval.Status.ToString().ToLowerInvariant());
            json.WriteStartObject("agent");
            json.WriteString("issuer", request.Agent.Issuer);
            json.WriteString("subject", request.Agent.Subject);
            json.WriteEndObject();
            json.WriteString("target", request.Target);
            json.WriteString("protocol", request.Protocol);
            json.WriteString("rule", request.Rule);
            json.WriteString("reason", request.Reason);
            json.WriteString("normalized", request.Normalized);
            json.WriteString("fingerprint", request.Fingerprint);
            json.WriteString("requested_at", approval.RequestedAt);
            json.WriteString("expires_at", approval.ExpiresAt);
            json.WriteNumber("required", request.Terms.Required);
            json.WriteStartArray("votes");
            foreach (var vote in approval.Votes)
            {
                json.WriteStartObject();
                json.WriteString("approver", vote.Approver);
                json.WriteBoolean("approve", vote.Approve);
                json.WriteString("comment", vote.Comment);
                json.WriteString("at", vote.At);
                json.WriteString("channel", vote.Channel);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            if (approval.DecidedAt is { } decidedAt)
            {
                json.WriteString("decided_at", decidedAt);
            }
            else
            {
                json.WriteNull("decided_at");
            }

            json.WriteString("comment", approval.DecisionComment);
            json.WriteEndObject();
            json.WriteString("decide_url", notice.DecideUrl);
            json.WriteString("cli", notice.CliLine);
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
