namespace OrleansGate.Edge.Sessions;

/// <summary>Where an approval is decided, as the agent is told in its notice (<c>OrleansGate:Approvals</c>).</summary>
public sealed class ApprovalLinks
{
    /// <summary>The approvals page, e.g. <c>https://gate.example.com/approvals</c>; the approval's id is appended.</summary>
    public string? PageUrl { get; set; }

    /// <summary>The approvals API as the CLI is pointed at it (<c>--url</c>), e.g. <c>https://gate.example.com</c>.</summary>
    public string? ApiUrl { get; set; }

    /// <summary>The page of one approval, or null when no page is configured.</summary>
    public string? PageOf(string approvalId) => string.IsNullOrWhiteSpace(PageUrl) ? null : $"{PageUrl.TrimEnd('/')}/{approvalId}";

    /// <summary>The CLI line that decides it.</summary>
    public string CliLine(string approvalId) =>
        $"orleansgate approvals approve {approvalId}{(string.IsNullOrWhiteSpace(ApiUrl) ? "" : $" --url {ApiUrl}")} --comment \"...\"";
}
