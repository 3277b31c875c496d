using static OrleansGate.Policy.Tests.Classifiers;

namespace OrleansGate.Policy.Tests;

public sealed class UnboundedWriteTests
{
    public static TheoryData<string> Unbounded => new([
        "DELETE FROM t",
        "UPDATE t SET a = 1",
        "DELETE FROM t WHERE 1 = 2",
        "DELETE FROM t WHERE false",
        "UPDATE t SET a = 1 WHERE 'x' = 'x' OR id = 2",
        "WITH d AS (DELETE FROM t RETURNING 1) SELECT * FROM d",
        "EXPLAIN ANALYZE UPDATE t SET a = 1",
        "SELECT 1; DELETE FROM t",
        "TRUNCATE t",
        "DELETE FROM t USING u WHERE id = 1",
        "DELETE FROM t WHERE u.id = 1",
        .. UnboundedWriteCorpus.GuardrailBypasses,
        .. UnboundedWriteCorpus.ParameterBypasses]);

    [Theory]
    [MemberData(nameof(Unbounded))]
    public void Write_without_a_bounding_where_is_unbounded(string sql) =>
        Assert.True(Classify(sql).HasUnboundedWrite);

    [Theory]
    [InlineData("DELETE FROM t WHERE id = 1")]
    [InlineData("DELETE FROM t WHERE 1 = id")]
    [InlineData("DELETE FROM t WHERE id = $1")]
    [InlineData("UPDATE t SET a = 1 WHERE id = 1")]
    [InlineData("UPDATE t SET a = $1 WHERE id < $2 AND true")]
    [InlineData("DELETE FROM t WHERE CURRENT OF c")]
    [InlineData("DELETE FROM t WHERE id IN (1, 2)")]
    [InlineData("DELETE FROM t WHERE id = ANY($1)")]
    [InlineData("DELETE FROM t WHERE id BETWEEN 1 AND 9")]
    [InlineData("DELETE FROM t WHERE name LIKE 'tmp%'")]
    [InlineData("DELETE FROM t WHERE deleted_at IS NULL")]
    [InlineData("DELETE FROM t WHERE NOT (id = 1)")]
    [InlineData("DELETE FROM t WHERE id::text = $1")]
    [InlineData("DELETE FROM t WHERE id = 1 OR id = 2")]
    [InlineData("DELETE FROM t WHERE a = b")]
    [InlineData("DELETE FROM t WHERE id IN (SELECT order_id FROM bad)")]
    [InlineData("DELETE FROM t x WHERE x.id = 1")]
    [InlineData("DELETE FROM s.t WHERE t.id = 1")]
    [InlineData("DELETE FROM t USING u WHERE t.id = u.id")]
    [InlineData("UPDATE t SET a = u.a FROM u WHERE t.id = u.t_id")]
    [InlineData("INSERT INTO t VALUES (1)")]
    [InlineData("EXPLAIN DELETE FROM t")]
    [InlineData("SELECT * FROM t")]
    public void Write_with_a_bounding_where_or_no_write_is_bounded(string sql) =>
        Assert.False(Classify(sql).HasUnboundedWrite);

    [Fact]
    public void Unbounded_write_is_reported_on_the_statement_that_has_it()
    {
        var classification = Classify("DELETE FROM t WHERE id = 1; DELETE FROM u");

        Assert.False(classification.Statements[0].HasUnboundedWrite);
        Assert.True(classification.Statements[1].HasUnboundedWrite);
    }
}
