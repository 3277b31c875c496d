using static OrleansGate.Policy.Tests.Classifiers;

namespace OrleansGate.Policy.Tests;

public sealed class RelationTests
{
    [Theory]
    [InlineData("SELECT * FROM public.users u JOIN orders o ON o.uid = u.id", "public.users,orders", "")]
    [InlineData("INSERT INTO audit.log SELECT * FROM public.events", "public.events", "audit.log")]
    [InlineData("UPDATE s.t SET a = (SELECT max(b) FROM s.u) WHERE id = 1", "s.u", "s.t")]
    [InlineData("DELETE FROM t USING u WHERE t.id = u.id", "u", "t")]
    [InlineData("WITH d AS (DELETE FROM s.t RETURNING *) INSERT INTO s.archive SELECT * FROM d", "", "s.t,s.archive")]
    [InlineData("MERGE INTO tgt USING src ON tgt.id = src.id WHEN MATCHED THEN UPDATE SET v = src.v", "src", "tgt")]
    [InlineData("COPY s.t FROM STDIN", "", "s.t")]
    [InlineData("COPY s.t TO STDOUT", "s.t", "")]
    [InlineData("COPY (SELECT * FROM s.t) TO STDOUT", "s.t", "")]
    [InlineData("SELECT * INTO new_t FROM old_t", "old_t", "new_t")]
    [InlineData("CREATE TABLE x.y AS SELECT * FROM x.z", "x.z", "x.y")]
    [InlineData("TRUNCATE a, b.c", "", "a,b.c")]
    [InlineData("DROP TABLE a.b, c", "", "a.b,c")]
    [InlineData("DROP TRIGGER tr ON s.t", "", "s.t")]
    [InlineData("ALTER TABLE s.t ADD COLUMN c int", "", "s.t")]
    [InlineData("CREATE INDEX ON s.t (a)", "", "s.t")]
    [InlineData("GRANT SELECT ON s.t TO bob", "", "s.t")]
    [InlineData("SELECT nextval('app.order_seq')", "", "app.order_seq")]
    [InlineData("SELECT * FROM \"Users\"", "Users", "")]
    [InlineData("SELECT * FROM mydb.public.t", "mydb.public.t", "")]
    [InlineData("EXPLAIN DELETE FROM t", "t", "")]
    [InlineData("EXPLAIN ANALYZE DELETE FROM t", "", "t")]
    [InlineData("SELECT 1; DELETE FROM a; SELECT * FROM b", "b", "a")]
    public void Relations_are_reported_schema_qualified_as_written(string sql, string read, string written)
    {
        var classification = Classify(sql);

        SetAssert.Equal(Split(read), classification.RelationsRead);
        SetAssert.Equal(Split(written), classification.RelationsWritten);
    }

    [Fact]
    public void Cte_name_hides_the_table_only_where_it_is_visible()
    {
        // In a plain WITH, a CTE's own body still sees the table of the same name.
        SetAssert.Equal(["t"], Classify("WITH t AS (SELECT * FROM t) SELECT * FROM t").RelationsRead);
        SetAssert.Equal([], Classify("WITH RECURSIVE r AS (SELECT 1 UNION ALL SELECT * FROM r) SELECT * FROM r").RelationsRead);
        SetAssert.Equal(["public.x"], Classify("WITH x AS (SELECT 1) SELECT * FROM x, public.x").RelationsRead);
        SetAssert.Equal(["b"], Classify("WITH a AS (SELECT * FROM b), b AS (SELECT * FROM a) SELECT * FROM b").RelationsRead);
    }

    [Fact]
    public void Locked_relations_are_reported()
    {
        SetAssert.Equal(["a", "b.c"], Classify("LOCK TABLE a, b.c").RelationsLocked);
        SetAssert.Equal(["a", "b"], Classify("SELECT * FROM a JOIN b USING (id) FOR UPDATE").RelationsLocked);
    }

    [Theory]
    [InlineData("SELECT lower(email), pg_catalog.now() FROM t", "lower,pg_catalog.now")]
    [InlineData("SELECT PUBLIC.MyFunc(1)", "public.myfunc")]
    [InlineData("SELECT \"MyFunc\"()", "myfunc")]
    [InlineData("WITH x AS (SELECT f(1)) SELECT * FROM x WHERE g(2) IN (SELECT h(3))", "f,g,h")]
    [InlineData("CALL s.proc(arg(1))", "s.proc,arg")]
    [InlineData("SELECT * FROM generate_series(1, 10)", "generate_series")]
    public void Functions_are_reported_lower_cased_and_qualified_as_written(string sql, string functions) =>
        SetAssert.Equal(Split(functions), Classify(sql).Functions);

    private static string[] Split(string list) => list.Length == 0 ? [] : list.Split(',');
}
