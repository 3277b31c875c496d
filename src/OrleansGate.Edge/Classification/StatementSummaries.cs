using System.Runtime.CompilerServices;
using OrleansGate.Model;
using OrleansGate.Policy.Classification;

namespace OrleansGate.Edge.Classification;

/// <summary>
/// Classifies statement text with the real PostgreSQL parser and turns the result into the summary grains
/// receive. The classifier caches by text; summaries are cached per classification instance, so a
/// repeated statement costs two lookups and no allocation.
/// </summary>
public sealed class StatementSummaries(SqlClassifier classifier, PolicyVersionWatcher? policyVersions = null)
{
    /// <summary>A request whose text the gateway cannot see (the function-call message).</summary>
    public static readonly StatementSummary Opaque = new(false, "no statement text", "Other", [], [], [], [], false, "", "", []);

    private readonly ConditionalWeakTable<StatementClassification, StatementSummary> _summaries = [];

    /// <summary>The policy version this edge knows of; null where no cluster is wired (offline tools).</summary>
    public PolicyVersionWatcher? PolicyVersions { get; } = policyVersions;

    public StatementSummary Summarize(string sql)
    {
        var classification = classifier.Classify(sql);
        return _summaries.GetValue(classification, Create);
    }

    /// <summary>
    /// True when the text deallocates prepared statements (DEALLOCATE, DISCARD ALL; any DISCARD, to fail closed).
    /// Text without either keyword (PostgreSQL keywords are plain ASCII, in any case) is answered without a
    /// cache lookup; the rest by the parse tree, so a keyword inside a literal or comment does not count.
    /// </summary>
    public bool DeallocatesPreparedStatements(string sql)
    {
        if (!sql.Contains("deallocate", StringComparison.OrdinalIgnoreCase) && !sql.Contains("discard", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var classification = classifier.Classify(sql);
        if ((classification.Kinds & StatementKind.Session) == StatementKind.None)
        {
            return false;
        }

        foreach (var statement in classification.Statements)
        {
            if (statement.NodeType is "DeallocateStmt" or "DiscardStmt")
            {
                return true;
            }
        }

        return false;
    }

    private static StatementSummary Create(StatementClassification c) => new(
        c.Parsed,
        c.ParseError,
        c.Kinds.ToString(),
        [.. c.RelationsRead.Order(StringComparer.Ordinal)],
        [.. c.RelationsWritten.Order(StringComparer.Ordinal)],
        [.. c.Functions.Order(StringComparer.Ordinal)],
        [.. c.DangerousFunctionGroups.Order(StringComparer.Ordinal)],
        c.HasUnboundedWrite,
        c.Fingerprint,
        c.NormalizedSql,
        [.. c.RelationsLocked.Order(StringComparer.Ordinal)],
        c.GuardRefusal);
}
