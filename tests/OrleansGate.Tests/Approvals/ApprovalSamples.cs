using OrleansGate.Model;

namespace OrleansGate.Tests.Approvals;

/// <summary>Approvals as the grain would hand them to notifiers, with a full text whose literal must never leave the gateway.</summary>
internal static class ApprovalSamples
{
    public const string Id = "apr-0123456789abcdef0123";

    /// <summary>The literal in <see cref="ApprovalRequest.Text"/>: found in a notification, it would be a leak.</summary>
    public const string Literal = "alice@example.com";

    public const string Normalized = "DELETE FROM customers WHERE email = $1";

    public static readonly DateTimeOffset RequestedAt = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    public static ApprovalView Pending(string id = Id) => new(
        id,
        ApprovalStatus.Pending,
        new ApprovalRequest(
            new AgentIdentity("https://idp.example/oauth2/default", "agent-ci", ["agents"]),
            "orders-db",
            "postgres",
            $"DELETE FROM customers WHERE email = '{Literal}'",
            Normalized,
            "fp-3f2a",
            "deletes-need-approval",
            "deletes on customers need a DBA",
            7,
            new ApprovalTerms(["dba"], 2, ApprovalMode.Wait, TimeSpan.FromMinutes(15), ApprovalReuse.None, TimeSpan.Zero),
            "session-1",
            "edge-1"),
        RequestedAt,
        RequestedAt.AddMinutes(15),
        [],
        null,
        null,
        TimeSpan.Zero);

    public static ApprovalView Denied() => Pending() with
    {
        Status = ApprovalStatus.Denied,
        Votes =
        [
            new ApprovalVoteRecord("https://idp.example/oauth2/default", "bob", true, "fine by me", RequestedAt.AddMinutes(1), "http"),
            new ApprovalVoteRecord("https://idp.example/oauth2/default", "carol", false, "not during month end", RequestedAt.AddMinutes(2), "slack"),
        ],
        DecidedAt = RequestedAt.AddMinutes(2),
        DecisionComment = "not during month end",
    };
}
