using System.Text.Json;
using OrleansGate.Model;

namespace OrleansGate.Host.Approvals;

/// <summary>How the approvals API writes an approval: for approvers, so with the request's full text while it is kept.</summary>
public static class ApprovalJson
{
    public static void Write(Utf8JsonWriter w, ApprovalView a, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(a);
        var r = a.Request;
        w.WriteStartObject();
        w.WriteString("id", a.Id);
        w.WriteString("status", a.Status.ToString().ToLowerInvariant());
        w.WriteStartObject("agent");
        w.WriteString("issuer", r.Agent.Issuer);
        w.WriteString("subject", r.Agent.Subject);
        w.WriteEndObject();
        w.WriteString("target", r.Target);
        w.WriteString("protocol", r.Protocol);
        w.WriteString("rule", r.Rule);
        w.WriteString("reason", r.Reason);
        w.WriteString("statement", r.Text.Length == 0 ? null : r.Text);
        w.WriteString("normalized", r.Normalized);
        w.WriteString("kinds", r.Kinds);
        w.WriteString("requested_at", a.RequestedAt);
        w.WriteString("expires_at", a.ExpiresAt);
        w.WriteNumber("seconds_left", a.Status == ApprovalStatus.Pending ? Math.Max(0, (long)(a.ExpiresAt - now).TotalSeconds) : 0);
        w.WriteNumber("required", r.Terms.Required);
        w.WriteStartArray("approver_groups");
        foreach (var g in r.Terms.ApproverGroups)
        {
            w.WriteStringValue(g);
        }

        w.WriteEndArray();
        w.WriteString("mode", r.Terms.Mode.ToString().ToLowerInvariant());
        w.WriteString("reuse", r.Terms.Reuse.ToString().ToLowerInvariant());
        w.WriteNumber("max_reuse_seconds", (long)r.Terms.MaxReuseWindow.TotalSeconds);
        w.WriteStartArray("votes");
        foreach (var v in a.Votes)
        {
            w.WriteStartObject();
            w.WriteString("approver", v.Approver);
            w.WriteString("issuer", v.ApproverIssuer);
            w.WriteBoolean("approve", v.Approve);
            w.WriteString("comment", v.Comment);
            w.WriteString("at", v.At);
            w.WriteString("channel", v.Channel);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        if (a.DecidedAt is { } decided)
        {
            w.WriteString("decided_at", decided);
        }
        else
        {
            w.WriteNull("decided_at");
        }

        w.WriteString("comment", a.DecisionComment);
        w.WriteNumber("reuse_window_seconds", (long)a.ReuseWindow.TotalSeconds);
        w.WriteEndObject();
    }
}
