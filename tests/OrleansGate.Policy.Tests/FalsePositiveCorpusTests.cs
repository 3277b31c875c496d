using OrleansGate.Policy.Classification;
using static OrleansGate.Policy.Tests.Classifiers;

namespace OrleansGate.Policy.Tests;

/// <summary>Legitimate reads that keyword guards refuse: each must be a pure read with no dangerous group.</summary>
public sealed class FalsePositiveCorpusTests
{
    public static TheoryData<string> Reads { get; } = new()
    {
        "SELECT 'DROP TABLE x'",
        "SELECT $$DELETE FROM t$$",
        "SELECT $tag$ ; DROP TABLE t; $tag$",
        "SELECT E'\\'; DROP TABLE t; --'",
        "SELECT 1 -- ; DROP TABLE t",
        "SELECT 1 /* ; DELETE FROM t */",
        "SELECT * FROM t WHERE note = 'SET ROLE postgres'",
        "SELECT \"delete\" FROM t",
        "EXPLAIN SELECT * FROM t WHERE id = 1",
        "EXPLAIN DELETE FROM t",
        "EXPLAIN (ANALYZE false) DELETE FROM t",
        "EXPLAIN (ANALYZE off, VERBOSE) UPDATE t SET a = 1",
        "EXPLAIN (ANALYZE 0) INSERT INTO t VALUES (1)",
        "WITH \"delete\" AS (SELECT 1) SELECT * FROM \"delete\"",
        PsqlCatalogQueries.ListTables,
        PsqlCatalogQueries.ListRelations,
        PsqlCatalogQueries.DescribeFindTable,
        PsqlCatalogQueries.DescribeTableInfo,
        PsqlCatalogQueries.DescribeColumns,
        PsqlCatalogQueries.DescribeIndexes,
        "SELECT current_setting('search_path')",
        "SHOW search_path",
        "SHOW ALL",
        "SELECT version()",
        "SELECT u.id, o.total FROM users u JOIN orders o ON o.user_id = u.id WHERE o.total > 10",
        "SELECT id, sum(total) OVER (PARTITION BY user_id ORDER BY created_at) FROM orders",
        "SELECT * FROM users WHERE id IN (SELECT user_id FROM orders WHERE total > 100)",
        "SELECT EXISTS (SELECT 1 FROM users WHERE email = 'a@b.c')",
        "SELECT * FROM (SELECT id, rank() OVER (ORDER BY score DESC) AS r FROM players) ranked WHERE r <= 3",
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10) SELECT * FROM r",
        "VALUES (1), (2)",
        "TABLE users",
        "SELECT count(*) FROM public.users GROUP BY 1 HAVING count(*) > 1 ORDER BY 1 LIMIT 10",
        "SELECT currval('s')",
        "SELECT lower(email), upper(name), length(name), localtimestamp FROM users",
        "select 1; select 2",
        "FETCH 10 FROM c",
    };

    [Fact]
    public void Corpus_has_at_least_twenty_statements() => Assert.True(Reads.Count >= 20, $"{Reads.Count} statements");

    [Theory]
    [MemberData(nameof(Reads))]
    public void Legitimate_read_is_a_pure_read(string sql)
    {
        var classification = Classify(sql);

        Assert.True(classification.Parsed, classification.ParseError);
        Assert.Equal(StatementKind.Read, classification.Kinds);
        Assert.Empty(classification.DangerousFunctionGroups);
        Assert.Empty(classification.RelationsWritten);
        Assert.False(classification.HasUnboundedWrite);
        Assert.True(classification.IsPureRead);
    }

    [Fact]
    public void Psql_list_tables_reads_the_catalog_relations_as_written()
    {
        var classification = Classify(PsqlCatalogQueries.ListTables);

        SetAssert.Equal(["pg_catalog.pg_class", "pg_catalog.pg_namespace", "pg_catalog.pg_am"], classification.RelationsRead);
        Assert.Contains("pg_catalog.pg_table_is_visible", classification.Functions);
    }
}
