using OrleansGate.Model;
using OrleansGate.Policy.Classification;

namespace OrleansGate.Policy.Model;

/// <summary>
/// One compiled rule. Empty lists mean "any". An <see cref="PolicyEffect.Allow"/> rule must cover
/// the whole statement (every kind, relation and dangerous function group in it); a deny or approve
/// rule matches when the statement touches any of what it names — so a statement is judged by its
/// worst part.
/// </summary>
public sealed record PolicyRule
{
    public required string Name { get; init; }

    public required PolicyEffect Effect { get; init; }

    public required string Reason { get; init; }

    /// <summary>Line of the rule in its file, for messages.</summary>
    public int Line { get; init; }

    /// <summary>Token issuer globs (the <c>iss</c> of the agent's token, exactly as configured).</summary>
    public IReadOnlyList<string> Issuers { get; init; } = [];

    public IReadOnlyList<string> Subjects { get; init; } = [];

    public IReadOnlyList<string> Groups { get; init; } = [];

    /// <summary>Claim name → value glob; a claim with several values (an array) matches when any value does.</summary>
    public IReadOnlyDictionary<string, string> Claims { get; init; } = new Dictionary<string, string>();

    public IReadOnlyList<string> Targets { get; init; } = [];

    /// <summary>Statement kinds; <see cref="StatementKind.None"/> means any.</summary>
    public StatementKind Kinds { get; init; }

    /// <summary>Relation globs, schema-qualified as written (<c>public.*</c>, <c>*.audit_*</c>).</summary>
    public IReadOnlyList<string> Relations { get; init; } = [];

    /// <summary>Function name globs.</summary>
    public IReadOnlyList<string> Functions { get; init; } = [];

    /// <summary>Dangerous function groups (see <see cref="DangerousFunctionGroups"/>).</summary>
    public IReadOnlyList<string> FunctionGroups { get; init; } = [];

    /// <summary>Matches only UPDATE/DELETE without WHERE (the "unbounded write" guardrail).</summary>
    public bool UnboundedWriteOnly { get; init; }

    /// <summary>An approve rule's approvers and how the agent waits (<c>approval:</c>); null for allow and deny rules.</summary>
    public ApprovalTerms? Approval { get; init; }

    /// <summary>The <c>kubernetes:</c> match: the rule decides requests to Kubernetes targets only. Null otherwise.</summary>
    public KubernetesMatch? Kubernetes { get; init; }

    /// <summary>The <c>http:</c> match: the rule decides requests to HTTP targets only. Null otherwise.</summary>
    public HttpMatch? Http { get; init; }

    /// <summary>The <c>ssh:</c> match: the rule decides command lines sent to SSH targets only. Null otherwise.</summary>
    public SshMatch? Ssh { get; init; }

    /// <summary>An allow or approve rule with a <c>kubernetes:</c> match lets Secret values through unmasked (<c>reveal_secrets: true</c>).</summary>
    public bool RevealSecrets { get; init; }

    /// <summary>
    /// Which requests the rule can decide, read from its keys (not stored, so a rule built in code with statement keys
    /// can never be taken for one that applies to every protocol).
    /// </summary>
    public RuleProtocol Protocol =>
        Kubernetes is not null ? RuleProtocol.Kubernetes
        : Http is not null ? RuleProtocol.Http
        : Ssh is not null ? RuleProtocol.Ssh
        : HasStatementKeys ? RuleProtocol.Sql
        : RuleProtocol.Any;

    /// <summary>Whether the match names anything of a SQL statement (kinds, relations, functions, function groups, unbounded writes).</summary>
    public bool HasStatementKeys =>
        Kinds != StatementKind.None || Relations.Count > 0 || Functions.Count > 0 || FunctionGroups.Count > 0 || UnboundedWriteOnly;
}
