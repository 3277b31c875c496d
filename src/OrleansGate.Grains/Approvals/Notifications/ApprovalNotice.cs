using OrleansGate.Model;

namespace OrleansGate.Grains.Approvals.Notifications;

/// <summary>
/// What the notifiers send about one approval. Notifiers read the request's normalised form only, never
/// <see cref="ApprovalRequest.Text"/>: every channel they post to is outside the gateway.
/// </summary>
/// <param name="DecideUrl">The approval's page on the gateway, or null when no page URL is configured.</param>
/// <param name="CliLine">The command an approver can run instead.</param>
public sealed record ApprovalNotice(ApprovalNoticeKind Kind, ApprovalView Approval, string? DecideUrl, string CliLine)
{
    /// <summary>
    /// The notice of <paramref name="kind"/> for <paramref name="approval"/>, its page under <paramref name="pageUrl"/>.
    /// The full text is dropped here, so the queue never holds it.
    /// </summary>
    public static ApprovalNotice Create(ApprovalNoticeKind kind, ApprovalView approval, string? pageUrl)
    {
        ArgumentNullException.ThrowIfNull(approval);
        var decideUrl = string.IsNullOrWhiteSpace(pageUrl) ? null : pageUrl.TrimEnd('/') + "/" + approval.Id;
        var cli = kind != ApprovalNoticeKind.Decided
            ? $"orleansgate approvals approve {approval.Id} --comment \"<why>\""
            : $"orleansgate approvals show {approval.Id}";
        return new ApprovalNotice(kind, approval.WithoutText(), decideUrl, cli);
    }
}
