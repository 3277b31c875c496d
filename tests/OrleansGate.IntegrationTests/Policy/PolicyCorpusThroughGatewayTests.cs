using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.IntegrationTests.Infrastructure;
using OrleansGate.Policy.Tests;

namespace OrleansGate.IntegrationTests.Policy;

/// <summary>
/// The bypass and false-positive corpora through real sessions against a real PostgreSQL, under the
/// fixture's read-only policy: one session per corpus, so the session is also shown to stay usable.
/// </summary>
[Collection(PolicyCollection.Name)]
public sealed class PolicyCorpusThroughGatewayTests(PolicyFixture fixture)
{
    /// <summary>Legitimate statements keyword guards refuse, plus catalog queries psql and BI tools send.</summary>
    public static readonly string[] Legitimate =
    [
        "SELECT 'DROP TABLE x'",
        "SELECT $$DELETE FROM orders$$",
        "SELECT $tag$ ; DROP TABLE orders; $tag$",
        "SELECT 1 -- ; DROP TABLE orders",
        "SELECT 1 /* ; DELETE FROM orders /* nested */ */",
        "SELECT * FROM customers WHERE name = 'SET ROLE postgres'",
        "SELECT \"delete\" FROM (SELECT 1 AS \"delete\") s",
        "WITH delete AS (SELECT id FROM orders) SELECT count(*) FROM delete",
        "WITH \"delete\" AS (SELECT 1 AS x) SELECT * FROM \"delete\"",
        "EXPLAIN SELECT * FROM customers WHERE id = 1",
        "EXPLAIN DELETE FROM orders WHERE id = 1",
        "EXPLAIN (ANALYZE false) UPDATE orders SET status = 'x' WHERE id = 1",
        "TABLE customers",
        "VALUES (1, 'a'), (2, 'b')",
        "SHOW search_path",
        "SELECT c.name, sum(o.amount) FROM customers c JOIN orders o ON o.customer_id = c.id GROUP BY c.name",
        "SELECT count(*) FROM orders WHERE status IN ('open', 'DELETE')",
        "COPY (SELECT id, name FROM customers) TO STDOUT",
        "SELECT pg_catalog.current_setting('search_path')",

        // BI tools (Metabase, DBeaver, Tableau-style) browsing the schema.
        "SELECT table_schema, table_name, table_type FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2",
        "SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'orders' ORDER BY ordinal_position",
        "SELECT n.nspname, c.relname, c.relkind FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'v', 'm', 'p') AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'",
        "SELECT tc.constraint_name, kcu.column_name FROM information_schema.table_constraints tc JOIN information_schema.key_column_usage kcu ON tc.constraint_name = kcu.constraint_name WHERE tc.constraint_type = 'PRIMARY KEY'",
        "SELECT t.oid, t.typname, t.typtype FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = 'pg_catalog' LIMIT 50",
        "SELECT current_database(), current_schema(), version()",
        "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_attribute a WHERE a.attrelid = 'public.orders'::regclass AND a.attnum > 0 AND NOT a.attisdropped",
        "SELECT i.relname FROM pg_catalog.pg_index x JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = 'public.customers'::regclass",
    ];

    [Fact]
    public async Task Bypass_corpus_is_denied_with_42501_naming_the_rule_and_the_session_stays_usable()
    {
        var corpus = BypassCorpus.Statements.Select(row => (string)row[0]).ToList();
        Assert.True(corpus.Count >= 60, $"{corpus.Count} statements");

        await using var session = await RawSession.OpenAsync(fixture.Node);
        var failures = new List<string>();
        foreach (var sql in corpus)
        {
            var error = RawSession.Error(await session.QueryAsync(sql));
            if (error is null || error['C'] != "42501" || !error['M'].StartsWith("statement denied by rule \"", StringComparison.Ordinal))
            {
                failures.Add($"{sql} → {(error is null ? "no error" : $"{error['C']} {error['M']}")}");
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {corpus.Count} not denied with 42501:\n{string.Join('\n', failures)}");
        Assert.Null(RawSession.Error(await session.QueryAsync("SELECT 1")));
    }

    [Fact]
    public async Task False_positive_corpus_is_allowed_and_answered_by_the_target()
    {
        Assert.True(Legitimate.Length >= 20, $"{Legitimate.Length} statements");

        await using var session = await RawSession.OpenAsync(fixture.Node);
        var failures = new List<string>();
        foreach (var sql in Legitimate)
        {
            if (RawSession.Error(await session.QueryAsync(sql)) is { } error)
            {
                failures.Add($"{sql} → {error['C']} {error['M']}");
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {Legitimate.Length} refused:\n{string.Join('\n', failures)}");
    }

    [Fact]
    public async Task Psql_catalog_meta_commands_are_allowed()
    {
        var settings = fixture.Node.Settings;
        var result = await ExternalCommand.RunAsync(
            "psql",
            [$"host=127.0.0.1 port={settings.PostgresPort} dbname={GatewaySettings.TargetName} user={GatewaySettings.AgentClientId} sslmode=disable",
                "-X", "-v", "ON_ERROR_STOP=1", "-c", @"\d customers", "-c", @"\dt", "-c", @"\l", "-c", @"\dn", "-c", @"\du", "-c", @"\d+ orders"],
            TimeSpan.FromSeconds(60),
            environment: new Dictionary<string, string> { ["PGPASSWORD"] = await fixture.Node.GetTokenAsync(), ["PGCONNECT_TIMEOUT"] = "15" });

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("customers_pkey", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("orders", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("demo", result.StandardOutput, StringComparison.Ordinal);
    }
}
