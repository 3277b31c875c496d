using System.Collections.ObjectModel;
using OrleansGate.Model;

namespace OrleansGate.Policy.Classification;

/// <summary>
/// What a whole statement text does: the union over all of its statements. Instances are immutable
/// and shared through the classifier's cache.
/// </summary>
/// <remarks>
/// Text that does not parse has <see cref="Parsed"/> false and <see cref="Kinds"/> =
/// <see cref="StatementKind.Other"/>, so that even a rule that only looks at kinds refuses it.
/// </remarks>
public sealed class StatementClassification
{
    /// <summary>False when the text is not valid PostgreSQL: such text must be refused, never guessed.</summary>
    public required bool Parsed { get; init; }

    /// <summary>
    /// The parser's message and position, e.g. <c>syntax error at or near "selec" (position 1)</c>. PostgreSQL
    /// quotes the offending token, so treat this like statement text when logging.
    /// </summary>
    public string? ParseError { get; init; }

    /// <summary>1-based character position of the parse error, 0 when unknown or when parsed.</summary>
    public int ParseErrorPosition { get; init; }

    public IReadOnlyList<StatementInfo> Statements { get; init; } = [];

    public required StatementKind Kinds { get; init; }

    public IReadOnlySet<string> RelationsRead { get; init; } = ReadOnlySet<string>.Empty;

    public IReadOnlySet<string> RelationsWritten { get; init; } = ReadOnlySet<string>.Empty;

    public IReadOnlySet<string> RelationsLocked { get; init; } = ReadOnlySet<string>.Empty;

    public IReadOnlySet<string> Functions { get; init; } = ReadOnlySet<string>.Empty;

    public IReadOnlySet<string> DangerousFunctionGroups { get; init; } = ReadOnlySet<string>.Empty;

    /// <summary>Any statement is an UPDATE/DELETE without WHERE (or with a trivially true one) or a TRUNCATE.</summary>
    public bool HasUnboundedWrite { get; init; }

    /// <summary>
    /// Why the gateway refuses this text whatever the policy says: a statement that would make the target read
    /// statement text differently from the classifier (see <see cref="LexicalSettings"/>). Null for most statements.
    /// </summary>
    public string? GuardRefusal { get; init; }

    /// <summary>
    /// libpg_query's fingerprint (16 hex digits) of the normalized text: equal for statements that differ only
    /// in literals, or in a literal against a parameter (<c>id = 5</c>, <c>id = $1</c>). Empty when not parsed.
    /// </summary>
    public string Fingerprint { get; init; } = "";

    /// <summary>The text with literals replaced by <c>$n</c> (pg_query_normalize): safe to store in audit. Empty when not parsed.</summary>
    public string NormalizedSql { get; init; } = "";

    /// <summary>Parsed, only reads, and no dangerous function: what a read-only rule may allow.</summary>
    public bool IsPureRead => Action.IsPureRead;

    /// <summary>
    /// What the text does in the form every later stage reads (the policy evaluator, the audit record, a grain):
    /// made once, on first use, and shared with the classification through the classifier's cache.
    /// </summary>
    public SqlAction Action => _action ??= new SqlAction(
        Parsed,
        ParseError,
        Kinds,
        Sorted(RelationsRead),
        Sorted(RelationsWritten),
        Sorted(RelationsLocked),
        Sorted(Functions),
        Sorted(DangerousFunctionGroups),
        HasUnboundedWrite,
        GuardRefusal,
        Fingerprint,
        NormalizedSql);

    // Two threads may both build it the first time; they build equal values, and either one is kept.
    private SqlAction? _action;

    private static string[] Sorted(IReadOnlySet<string> set) => set.Count == 0 ? [] : [.. set.Order(StringComparer.Ordinal)];

    internal static StatementClassification NotParsed(string error, int position) => new()
    {
        Parsed = false,
        ParseError = position > 0 ? $"{error} (position {position})" : error,
        ParseErrorPosition = position,
        Kinds = StatementKind.Other,
    };
}
