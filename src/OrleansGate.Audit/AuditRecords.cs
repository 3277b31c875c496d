using OrleansGate.Model;

namespace OrleansGate.Audit;

/// <summary>Builds the audit record of each event from what the grain knows, so grains stay free of audit details.</summary>
public static class AuditRecords
{
    /// <summary>A statement and its decision: normalised text and fingerprint only, never the text as sent.</summary>
    public static AuditRecord Statement(DateTimeOffset at, SessionInfo session, SqlAction statement, Decision decision)
    {
        ArgumentNullException.ThrowIfNull(statement);
        return new AuditRecord(AuditEventKind.Statement, at, session, NullIfEmpty(statement.Fingerprint), NullIfEmpty(statement.NormalizedSql), decision)
        {
            StatementKinds = NullIfEmpty(statement.KindsText),
            RelationsRead = statement.RelationsRead,
            RelationsWritten = statement.RelationsWritten,
        };
    }

    /// <summary>
    /// An HTTP request (Kubernetes API or plain HTTP) and its decision: <paramref name="kinds"/> such as
    /// <c>kubernetes:get</c>, <paramref name="request"/> the method and path without the query (queries may carry
    /// secrets), and what it reads or writes (<c>pods default/web</c>). Bodies are never recorded, only their kind and size.
    /// </summary>
    public static AuditRecord Request(
        DateTimeOffset at, SessionInfo session, string kinds, string request, IReadOnlyList<string> reads, IReadOnlyList<string> writes, Decision decision, string? detail) =>
        new(AuditEventKind.Statement, at, session, null, request, decision)
        {
            StatementKinds = kinds,
            RelationsRead = reads,
            RelationsWritten = writes,
            Detail = detail,
        };

    /// <summary>A statement the edge refused by its own bookkeeping: a statement record whose outcome is the SQLSTATE the client got.</summary>
    public static AuditRecord EdgeRefusal(DateTimeOffset at, SessionInfo session, EdgeRefusal refusal)
    {
        ArgumentNullException.ThrowIfNull(refusal);
        return Statement(at, session, refusal.Statement, refusal.Decision) with { Outcome = refusal.SqlState };
    }

    /// <summary>Issuer of the system events that are not about an agent (policy changes).</summary>
    public const string SystemIssuer = "orleansgate";

    /// <summary>Issuer recorded for a refused login whose token was not valid: the subject is then only what the client claimed.</summary>
    public const string UnauthenticatedIssuer = "unauthenticated";

    /// <summary>Protocol recorded for operator actions (policy changes, revocations).</summary>
    public const string AdminProtocol = "admin";

    /// <summary>
    /// A new policy version: version, label, source and the SHA-256 of its text, never the text (it may name
    /// credentials' locations or other details an audit reader need not see).
    /// </summary>
    public static AuditRecord PolicyChange(DateTimeOffset at, PolicySnapshot next, long previousVersion, string outcome)
    {
        ArgumentNullException.ThrowIfNull(next);
        var session = SystemSession(AuditChainIds.Policy, new AgentIdentity(SystemIssuer, "policy", []), null, "", AdminProtocol, "", "", at);
        return new AuditRecord(AuditEventKind.PolicyChange, at, session, null, null, null)
        {
            PolicyVersion = next.Version,
            Outcome = outcome,
            Detail = $"version {next.Version} ({next.Label}) from {next.Source}, sha256 {next.Sha256}; previous version {previousVersion}",
        };
    }

    /// <summary>An agent or token revocation (or its lifting); <paramref name="sessionsClosed"/> in the rows column (null: not known).</summary>
    public static AuditRecord Revocation(DateTimeOffset at, string agentKey, string? tokenId, string action, string reason, int? sessionsClosed)
    {
        var bar = agentKey.IndexOf('|', StringComparison.Ordinal);
        var agent = bar < 0 ? new AgentIdentity("", agentKey, []) : new AgentIdentity(agentKey[..bar], agentKey[(bar + 1)..], []);
        var session = SystemSession(AuditChainIds.Agent(agentKey), agent, tokenId, "", AdminProtocol, "", "", at);
        return new AuditRecord(AuditEventKind.Revocation, at, session, null, null, null)
        {
            Outcome = action,
            Detail = reason,
            Rows = sessionsClosed,
        };
    }

    /// <summary>A revocation of a token id no login has used yet: its issuer is known, its subject is not (empty); no session was closed.</summary>
    public static AuditRecord UnusedTokenRevocation(string chainId, DateTimeOffset at, string issuer, string tokenId, string reason)
    {
        var session = SystemSession(chainId, new AgentIdentity(issuer, "", []), tokenId, "", AdminProtocol, "", "", at);
        return new AuditRecord(AuditEventKind.Revocation, at, session, null, null, null)
        {
            Outcome = "revoke-token",
            Detail = reason,
            Rows = 0,
        };
    }

    /// <summary>A refused login: the SQLSTATE the client got, the reason the edge logs, and who asked (claimed, unless the token was valid).</summary>
    public static AuditRecord LoginRefused(LoginRefusal refusal)
    {
        ArgumentNullException.ThrowIfNull(refusal);
        var agent = refusal.Subject is { } subject
            ? new AgentIdentity(refusal.Issuer ?? "", subject, [])
            : new AgentIdentity(UnauthenticatedIssuer, refusal.ClaimedUser, []);
        var session = SystemSession(
            AuditChainIds.LoginRefusals(refusal.EdgeNode), agent, refusal.TokenId, refusal.Target ?? "", "postgres", refusal.EdgeNode, refusal.ClientAddress, refusal.At);
        return new AuditRecord(AuditEventKind.LoginRefused, refusal.At, session, null, null, null)
        {
            Outcome = refusal.SqlState,
            Detail = refusal.Reason,
        };
    }

    /// <summary>Refusals that were dropped because the queue was full, recorded once it drained.</summary>
    public static AuditRecord LoginRefusalsDropped(DateTimeOffset at, string edgeNode, long dropped)
    {
        var session = SystemSession(
            AuditChainIds.LoginRefusals(edgeNode), new AgentIdentity(SystemIssuer, "login-audit", []), null, "", "postgres", edgeNode, "", at);
        return new AuditRecord(AuditEventKind.LoginRefused, at, session, null, null, null)
        {
            Outcome = "dropped",
            Rows = dropped,
            Detail = $"{dropped} refused logins were not recorded: the login audit queue was full",
        };
    }

    /// <summary>
    /// An approval's event in its own chain: who asked (the agent, its session and target), the normalised statement and
    /// its fingerprint, the rule; never the full text, which only the approvers see.
    /// </summary>
    public static AuditRecord Approval(DateTimeOffset at, string approvalId, ApprovalRequest request, AuditEventKind kind, string outcome, string? approver, string? detail)
    {
        ArgumentNullException.ThrowIfNull(request);
        var session = new SessionInfo(
            AuditChainIds.Approval(approvalId), request.Agent, null, at, request.Target, request.Protocol, request.EdgeNode, "", at);
        var decision = new Decision(DecisionEffect.Approve, request.Rule, request.Reason, request.PolicyVersion, 0);
        return new AuditRecord(kind, at, session, NullIfEmpty(request.Fingerprint), NullIfEmpty(request.Normalized), decision)
        {
            StatementKinds = request.Kinds,
            ApprovalId = approvalId,
            Approver = approver,
            Outcome = outcome,
            Detail = detail is null ? $"session {request.SessionId}" : $"session {request.SessionId}: {detail}",
        };
    }

    /// <summary>The session part of a system event (docs/audit.md, "System events", says what each field means there).</summary>
    private static SessionInfo SystemSession(
        string chainId, AgentIdentity agent, string? tokenId, string target, string protocol, string edgeNode, string clientAddress, DateTimeOffset at) =>
        new(chainId, agent, tokenId, at, target, protocol, edgeNode, clientAddress, at);

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
