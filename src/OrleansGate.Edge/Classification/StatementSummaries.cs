using OrleansGate.Model;
using OrleansGate.Policy.Classification;

namespace OrleansGate.Edge.Classification;

/// <summary>
/// Classifies statement text with the real PostgreSQL parser into the <see cref="SqlAction"/> every later stage reads
/// (the decision, the audit record). The classifier caches by text and the action is made once per classification,
/// so a repeated statement costs one lookup and no allocation.
/// </summary>
public sealed class StatementSummaries(SqlClassifier classifier, PolicyVersionWatcher? policyVersions = null)
{
    /// <summary>The policy version this edge knows of; null where no cluster is wired (offline tools).</summary>
    public PolicyVersionWatcher? PolicyVersions { get; } = policyVersions;

    public SqlAction Summarize(string sql) => classifier.Classify(sql).Action;

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
}
