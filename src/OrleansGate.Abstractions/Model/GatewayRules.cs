namespace OrleansGate.Model;

/// <summary>
/// The names of the gateway's own rules: refusals no policy rule makes and no policy overrides. They appear as the rule
/// of a decision, in the audit record and in the message the agent gets, on every protocol.
/// </summary>
public static class GatewayRules
{
    /// <summary>No policy rule matched: no matching rule means deny.</summary>
    public const string NoMatch = "default-deny";

    /// <summary>The text could not be parsed: refused, never guessed.</summary>
    public const string Unparsable = "gateway:unparsable";

    /// <summary>The statement would change how the target reads statement text (client_encoding, standard_conforming_strings).</summary>
    public const string LexicalSettings = "gateway:lexical-settings";

    /// <summary>The legacy function-call message names a function by OID, out of the policy's sight.</summary>
    public const string FunctionCall = "gateway:function-call";

    /// <summary>No policy can be trusted now (none loaded, or not confirmed for too long): fail closed.</summary>
    public const string PolicyUnavailable = "gateway:policy-unavailable";

    /// <summary>The audit store cannot make the record durable: fail closed.</summary>
    public const string AuditUnavailable = "gateway:audit-unavailable";

    /// <summary>The cluster could not be asked: fail closed.</summary>
    public const string ClusterUnavailable = "gateway:cluster-unavailable";

    /// <summary>A request on a session that is not (or no longer) open.</summary>
    public const string NoSession = "gateway:no-session";

    /// <summary>A prepared statement or portal the gateway cannot vouch for (not prepared through it in this session).</summary>
    public const string UnknownStatement = "gateway:unknown-statement";

    /// <summary>A session holds too many prepared statements or portals.</summary>
    public const string StatementLimit = "gateway:statement-limit";

    /// <summary>The agent withdrew a request that waited for approval (a cancel): refused as cancelled (57014 on PostgreSQL).</summary>
    public const string ApprovalWithdrawn = "gateway:approval-withdrawn";

    /// <summary>Masks apply to the session but cannot be enforced now (the catalog or a hash key cannot be read, a mask arrived mid-session, a statement that cannot be analysed): refused rather than answered in clear.</summary>
    public const string MaskingUnavailable = "gateway:masking-unavailable";

    /// <summary>The agent's cluster-wide statement rate (the policy's <c>limits:</c>) is spent: refused with 53400, the limit named in the reason.</summary>
    public const string RateLimit = "gateway:rate-limit";

    /// <summary>The agent's cluster-wide rows budget (<c>rows_changed</c>, <c>rows_read</c>) is spent: refused with 53400, the limit named in the reason.</summary>
    public const string RowBudget = "gateway:row-budget";
}
