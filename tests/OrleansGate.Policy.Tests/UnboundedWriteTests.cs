using static OrleansGate.Policy.Tests.Classifiers;

namespace OrleansGate.Policy.Tests;

public sealed class UnboundedWriteTests
{
    [Theory]
    [InlineData("DELETE FROM t")]
    [InlineData("UPDATE t SET a = 1")]
    [InlineData("DELETE FROM t WHERE true")]
    [InlineData("DELETE FROM t WHERE 1 = 1")]
    [InlineData("UPDATE t SET a = 1 WHERE 'x' = 'x' OR id = 2")]
    [InlineData("WITH d AS (DELETE FROM t RETURNING 1) SELECT * FROM d")]
    [InlineData("EXPLAIN ANALYZE UPDATE t SET a = 1")]
    [InlineData("SELECT 1; DELETE FROM t")]
    [InlineData("TRUNCATE t")]
    public void Write_without_a_bounding_where_is_unbounded(string sql) =>
        Assert.True(Classify(sql).HasUnboundedWrite);

    [Theory]
    [InlineData("DELETE FROM t WHERE id = 1")]
    [InlineData("UPDATE t SET a = 1 WHERE id = 1")]
    [InlineData("DELETE FROM t WHERE CURRENT OF c")]
    [InlineData("DELETE FROM t WHERE 1 = 2")]
    [InlineData("INSERT INTO t VALUES (1)")]
    [InlineData("EXPLAIN DELETE FROM t")]
    [InlineData("SELECT * FROM t")]
    public void Write_with_a_where_or_no_write_is_bounded(string sql) =>
        Assert.False(Classify(sql).HasUnboundedWrite);

    [Fact]
    public void Unbounded_write_is_reported_on_the_statement_that_has_it()
    {
        var classification = Classify("DELETE FROM t WHERE id = 1; DELETE FROM u");

        Assert.False(classification.Statements[0].HasUnboundedWrite);
        Assert.True(classification.Statements[1].HasUnboundedWrite);
    }
}
