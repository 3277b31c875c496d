using OrleansGate.Policy.Classification;

namespace OrleansGate.Policy.Tests;

/// <summary>
/// Statements that differ only in literals share a classification, except where a literal's value
/// changes the answer: those must never borrow a neighbour's result, whichever comes first.
/// </summary>
public sealed class ShapeCacheTests
{
    [Fact]
    public void Statements_differing_only_in_literals_share_one_classification()
    {
        var classifier = new SqlClassifier();

        var first = classifier.Classify("SELECT abalance FROM pgbench_accounts WHERE aid = 1");
        var second = classifier.Classify("SELECT abalance FROM pgbench_accounts WHERE aid = 2");

        Assert.Same(first, second);
        Assert.Equal(2, classifier.CachedCount);
    }

    [Theory]
    [InlineData("DELETE FROM t WHERE 1 = 2", "DELETE FROM t WHERE 1 = 1")]
    [InlineData("DELETE FROM t WHERE $1 = $2", "DELETE FROM t WHERE 1 = 1")]
    [InlineData("DELETE FROM t WHERE false", "DELETE FROM t WHERE true")]
    [InlineData("UPDATE t SET a = 1 WHERE $1", "UPDATE t SET a = 1 WHERE true")]
    [InlineData("UPDATE t SET a = 1 WHERE 'a' = 'b' OR id = 3", "UPDATE t SET a = 1 WHERE 'a' = 'a' OR id = 3")]
    public void Where_without_a_column_comparison_is_unbounded_whatever_its_literals_or_parameters(string first, string second)
    {
        // Parameters were once taken as bounding, so WHERE $1 with true bound passed the guardrail.
        var classifier = new SqlClassifier();

        Assert.True(classifier.Classify(first).HasUnboundedWrite, first);
        Assert.True(classifier.Classify(second).HasUnboundedWrite, second);
    }

    [Theory]
    [InlineData("DELETE FROM t WHERE id = 1", "DELETE FROM t WHERE id = 2")]
    [InlineData("DELETE FROM t WHERE id = $1", "DELETE FROM t WHERE id = 7")]
    public void Bounding_where_does_not_depend_on_literals_so_the_shape_is_shared(string first, string second)
    {
        var classifier = new SqlClassifier();

        var a = classifier.Classify(first);
        var b = classifier.Classify(second);

        Assert.False(a.HasUnboundedWrite);
        Assert.False(b.HasUnboundedWrite);
        Assert.Equal(a.NormalizedSql, b.NormalizedSql);
    }

    [Fact]
    public void Sequence_named_by_a_literal_is_judged_per_text()
    {
        var classifier = new SqlClassifier();

        var byParameter = classifier.Classify("SELECT nextval($1)");
        var first = classifier.Classify("SELECT nextval('a')");
        var second = classifier.Classify("SELECT nextval('b')");

        Assert.Empty(byParameter.RelationsWritten);
        SetAssert.Equal(["a"], first.RelationsWritten);
        SetAssert.Equal(["b"], second.RelationsWritten);
    }

    [Fact]
    public void Explain_analyze_option_is_judged_per_text()
    {
        var classifier = new SqlClassifier();

        Assert.Equal(StatementKind.Read, classifier.Classify("EXPLAIN (ANALYZE 0) DELETE FROM t").Kinds);
        Assert.True(classifier.Classify("EXPLAIN (ANALYZE 1) DELETE FROM t").Kinds.HasFlag(StatementKind.Write));
    }
}
