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
    public void Trivially_true_where_is_judged_per_text(string bounded, string unbounded)
    {
        foreach (var order in new[] { (bounded, unbounded), (unbounded, bounded) })
        {
            var classifier = new SqlClassifier();
            var results = new[] { order.Item1, order.Item2 }.ToDictionary(s => s, classifier.Classify);

            Assert.False(results[bounded].HasUnboundedWrite, bounded);
            Assert.True(results[unbounded].HasUnboundedWrite, unbounded);
        }
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
