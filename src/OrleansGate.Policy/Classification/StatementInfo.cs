using System.Collections.ObjectModel;

namespace OrleansGate.Policy.Classification;

/// <summary>The classification of one statement of a (possibly multi-statement) string.</summary>
public sealed class StatementInfo
{
    /// <summary>The parser's node type of the statement, e.g. <c>DeleteStmt</c>, <c>VariableSetStmt</c>.</summary>
    public required string NodeType { get; init; }

    /// <summary>Every kind this statement has, including nested statements (CTEs, EXPLAIN ANALYZE, COPY (query), PREPARE).</summary>
    public required StatementKind Kinds { get; init; }

    /// <summary>Relations read, schema-qualified as written (<c>public.users</c> and <c>users</c> are different entries).</summary>
    public IReadOnlySet<string> RelationsRead { get; init; } = ReadOnlySet<string>.Empty;

    /// <summary>Relations whose rows or definition change: DML targets, COPY FROM, SELECT INTO, DDL targets, sequences advanced.</summary>
    public IReadOnlySet<string> RelationsWritten { get; init; } = ReadOnlySet<string>.Empty;

    /// <summary>Relations locked by LOCK TABLE or SELECT … FOR UPDATE/SHARE (FOR … OF lists names as written, possibly aliases).</summary>
    public IReadOnlySet<string> RelationsLocked { get; init; } = ReadOnlySet<string>.Empty;

    /// <summary>Functions called, lower-cased, schema-qualified as written.</summary>
    public IReadOnlySet<string> Functions { get; init; } = ReadOnlySet<string>.Empty;

    /// <summary>Names from <see cref="Classification.DangerousFunctionGroups"/> that this statement touches.</summary>
    public IReadOnlySet<string> DangerousFunctionGroups { get; init; } = ReadOnlySet<string>.Empty;

    /// <summary>An UPDATE or DELETE without WHERE (or with a trivially true one), or a TRUNCATE.</summary>
    public bool HasUnboundedWrite { get; init; }

    /// <summary>Why the gateway refuses this statement whatever the policy says (see <see cref="LexicalSettings"/>), or null.</summary>
    public string? GuardRefusal { get; init; }
}
