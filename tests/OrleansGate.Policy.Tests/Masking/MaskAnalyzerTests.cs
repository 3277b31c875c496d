using OrleansGate.Policy.Masking;
using OrleansGate.Policy.Model;

namespace OrleansGate.Policy.Tests.Masking;

public sealed class MaskAnalyzerTests
{
    private static readonly PolicyMask Pii = Mask("pii");
    private static readonly PolicyMask ViewMask = Mask("view");
    private static readonly MaskedRelations Relations = RelationsWith(Pii);

    private static PolicyMask Mask(string name, bool derived = false, bool predicates = false) => new()
    {
        Name = name,
        Match = new PolicyRule { Name = "mask:" + name, Effect = PolicyEffect.Deny, Reason = "mask" },
        DenyDerived = derived,
        DenyPredicates = predicates,
    };

    // public.customers(id, name, email, card) with email and card masked; public.orders(id, customer_id, total) is not
    // masked, so it is not listed; the view public.customer_view(id, email) has every column masked.
    private static MaskedRelations RelationsWith(PolicyMask pii) => new(
    [
        new MaskedColumnName("public", "customers", "email", pii),
        new MaskedColumnName("public", "customers", "card", pii),
        new MaskedColumnName("public", "customer_view", "id", ViewMask),
        new MaskedColumnName("public", "customer_view", "email", ViewMask),
    ]);

    private static StatementMasking Single(string sql, MaskedRelations? relations = null)
    {
        var analysis = MaskAnalyzer.Analyze(sql, relations ?? Relations);
        Assert.True(analysis.Parsed);
        return Assert.Single(analysis.Statements);
    }

    private static IReadOnlyList<ColumnTaint?> Columns(string sql)
    {
        var analysis = MaskAnalyzer.Analyze(sql, Relations);
        Assert.True(analysis.Parsed);
        Assert.Null(analysis.Refusal);
        var columns = Assert.Single(analysis.Statements).Columns;
        Assert.NotNull(columns);
        return columns;
    }

    private static readonly ColumnTaint Bare = new(Pii, Derived: false);
    private static readonly ColumnTaint Derived = new(Pii, Derived: true);

    private static MaskRefusal Refused(string sql, MaskedRelations relations)
    {
        var analysis = MaskAnalyzer.Analyze(sql, relations);
        Assert.True(analysis.Parsed);
        return Assert.IsType<MaskRefusal>(analysis.Refusal);
    }

    [Fact]
    public void Bare_masked_column_is_not_derived_and_unmasked_ones_are_clean()
    {
        Assert.Equal([null, null, Bare, Bare], Columns("SELECT id, name, email, card FROM customers"));
    }

    [Theory]
    [InlineData("SELECT email AS e FROM customers")]
    [InlineData("SELECT c.email FROM customers c")]
    [InlineData("SELECT public.customers.email FROM public.customers")]
    [InlineData("SELECT c.email FROM public.customers AS c JOIN orders o ON o.customer_id = c.id")]
    public void Alias_and_qualified_references_are_bare(string sql)
    {
        Assert.Equal([Bare], Columns(sql));
    }

    [Fact]
    public void Masked_columns_are_matched_by_schema_when_one_is_written()
    {
        Assert.Equal([null], Columns("SELECT email FROM other.customers"));
        Assert.False(Single("SELECT email FROM other.customers").TouchesMaskedData);
        Assert.True(Single("SELECT email FROM customers").TouchesMaskedData);
    }

    [Theory]
    [InlineData("SELECT upper(email) FROM customers")]
    [InlineData("SELECT email || 'x' FROM customers")]
    [InlineData("SELECT email::bytea FROM customers")]
    [InlineData("SELECT encode(email::bytea, 'hex') FROM customers")]
    [InlineData("SELECT md5(email) FROM customers")]
    [InlineData("SELECT substr(email, 1, 1) FROM customers")]
    [InlineData("SELECT format('%s', email) FROM customers")]
    [InlineData("SELECT concat_ws(',', name, email) FROM customers")]
    [InlineData("SELECT COALESCE(email, name) FROM customers")]
    [InlineData("SELECT CASE WHEN email LIKE 'a%' THEN 1 ELSE 0 END FROM customers")]
    [InlineData("SELECT email COLLATE \"C\" FROM customers")]
    [InlineData("SELECT string_agg(email, ',') FROM customers")]
    [InlineData("SELECT array_agg(card) FROM customers")]
    [InlineData("SELECT json_agg(email) FROM customers")]
    [InlineData("SELECT count(email) FROM customers")]
    [InlineData("SELECT c FROM customers c")]
    [InlineData("SELECT row_to_json(c) FROM customers c")]
    [InlineData("SELECT to_jsonb(c) FROM customers c")]
    [InlineData("SELECT c.*::text FROM customers c")]
    [InlineData("SELECT jsonb_path_query(to_jsonb(c), '$.email') FROM customers c")]
    [InlineData("SELECT ROW(id, email) FROM customers")]
    [InlineData("SELECT (SELECT email FROM customers LIMIT 1)")]
    [InlineData("SELECT ARRAY(SELECT email FROM customers)")]
    [InlineData("SELECT o.id IN (SELECT card FROM customers) FROM orders o")]
    [InlineData("SELECT lag(email) OVER (ORDER BY id) FROM customers")]
    public void Expressions_over_a_masked_column_are_derived(string sql)
    {
        Assert.Equal([Derived], Columns(sql));
    }

    [Fact]
    public void Window_order_on_a_masked_column_flows_into_the_value()
    {
        Assert.Equal([null, Derived], Columns("SELECT id, rank() OVER (ORDER BY email) FROM customers"));
    }

    [Fact]
    public void Star_over_a_base_relation_is_left_to_the_row_description()
    {
        var statement = Single("SELECT * FROM customers");

        Assert.Null(statement.Columns);
        Assert.Null(statement.AnyColumn);
        Assert.True(statement.TouchesMaskedData);
    }

    [Theory]
    [InlineData("SELECT * FROM (SELECT upper(email) FROM customers) s")]
    [InlineData("SELECT s.* FROM (SELECT id, upper(email) AS e FROM customers) s")]
    [InlineData("WITH w AS (SELECT md5(card) FROM customers) SELECT * FROM w")]
    [InlineData("SELECT * FROM unnest((SELECT array_agg(email) FROM customers))")]
    [InlineData("SELECT * FROM customers UNION ALL SELECT * FROM customers")]
    public void Star_over_what_carries_masked_values_gives_any_column(string sql)
    {
        var statement = Single(sql);

        Assert.Null(statement.Columns);
        Assert.Equal(Pii, statement.AnyColumn);
    }

    [Fact]
    public void Full_join_using_a_masked_column_merges_it_into_an_untied_column()
    {
        Assert.Equal(Pii, Single("SELECT * FROM customers a FULL JOIN customers b USING (email)").AnyColumn);
        Assert.Equal([Derived], Columns("SELECT email FROM customers a FULL JOIN customers b USING (email)"));
        Assert.Null(Single("SELECT * FROM customers a JOIN orders b USING (id)").AnyColumn);
        Assert.Null(Single("SELECT * FROM customers a FULL JOIN orders b USING (id)").AnyColumn);
    }

    [Fact]
    public void Star_over_clean_subquery_gives_no_any_column()
    {
        Assert.Null(Single("SELECT * FROM (SELECT id, name FROM customers) s").AnyColumn);
    }

    [Fact]
    public void Subquery_outputs_keep_their_taint_through_aliases_and_column_lists()
    {
        Assert.Equal([null, Bare], Columns("SELECT s.i, s.e FROM (SELECT id, email FROM customers) AS s(i, e)"));
        Assert.Equal([Derived, null], Columns("SELECT u, id FROM (SELECT id, upper(email) AS u FROM customers) s"));
        Assert.Equal([Derived], Columns("SELECT x FROM (SELECT upper FROM (SELECT upper(email) FROM customers) a) b(x)"));
        Assert.Equal([Derived], Columns("SELECT upper(e) FROM (SELECT email AS e FROM customers) s"));
    }

    [Fact]
    public void Cte_chains_carry_taint_by_name_and_column_list()
    {
        Assert.Equal([null, Bare], Columns("WITH a AS (SELECT id, email FROM customers), b(k, v) AS (SELECT id, email FROM a) SELECT k, v FROM b"));

        // A column list over a * cannot be matched by position: every name carries the taint.
        Assert.Equal([Bare, Bare], Columns("WITH a AS (SELECT id, email FROM customers), b(k, v) AS (SELECT * FROM a) SELECT k, v FROM b"));
        Assert.Equal([Derived], Columns("WITH a(x) AS (SELECT lower(email) FROM customers) SELECT x FROM a"));
        Assert.Equal([null], Columns("WITH a AS (SELECT id, email FROM customers) SELECT id FROM a"));
    }

    [Fact]
    public void Recursive_cte_taints_every_output_when_an_arm_reads_masked_data()
    {
        var columns = Columns(
            "WITH RECURSIVE r(n, e) AS (SELECT 1, email FROM customers UNION ALL SELECT n + 1, e FROM r WHERE n < 3) SELECT n FROM r");

        Assert.Equal([Derived], columns);
    }

    [Fact]
    public void Union_takes_the_taint_of_any_arm_and_is_derived()
    {
        Assert.Equal([Derived, null], Columns("SELECT name, id FROM customers UNION SELECT email, id FROM customers"));
    }

    [Fact]
    public void Lateral_unnest_of_a_masked_array_is_derived()
    {
        Assert.Equal([Derived], Columns("SELECT u.v FROM customers c, LATERAL unnest(ARRAY[c.email]) AS u(v)"));
        Assert.Equal([Derived], Columns("SELECT v FROM customers c CROSS JOIN LATERAL unnest(ARRAY[c.email]) AS u(v)"));
        Assert.Equal([Derived], Columns("SELECT r.e FROM customers c, jsonb_to_recordset(jsonb_agg(c)) AS r(e text)"));
    }

    [Fact]
    public void Correlated_scalar_sublink_reads_the_outer_row()
    {
        Assert.Equal([Derived], Columns("SELECT (SELECT c.email FROM orders o WHERE o.customer_id = c.id LIMIT 1) FROM customers c"));
    }

    [Fact]
    public void View_columns_carry_the_view_mask()
    {
        Assert.Equal([new ColumnTaint(ViewMask, false), new ColumnTaint(ViewMask, true)], Columns("SELECT id, upper(email) FROM customer_view"));
    }

    [Theory]
    [InlineData("SELECT count(*) FROM customers")]
    [InlineData("SELECT id, name FROM customers")]
    [InlineData("SELECT o.total FROM orders o JOIN customers c ON c.id = o.customer_id")]
    [InlineData("SELECT c.name, sum(o.total) FROM customers c JOIN orders o USING (id) GROUP BY c.name ORDER BY 2")]
    [InlineData("SELECT 1, now(), 'email'")]
    [InlineData("VALUES (1, 'a')")]
    public void Legitimate_queries_are_clean_and_not_refused(string sql)
    {
        var analysis = MaskAnalyzer.Analyze(sql, RelationsWith(Mask("pii", derived: true, predicates: true)));

        Assert.Null(analysis.Refusal);
        var statement = Assert.Single(analysis.Statements);
        Assert.NotNull(statement.Columns);
        Assert.All(statement.Columns, c => Assert.Null(c));
    }

    [Fact]
    public void Function_that_is_not_built_in_may_read_masked_data()
    {
        Assert.Equal([null, Derived], Columns("SELECT id, customer_email(customer_id) FROM orders"));
        Assert.Equal([Derived], Columns("SELECT public.lower(name) FROM customers"));
        Assert.Equal(Pii, Single("SELECT * FROM customer_rows()").AnyColumn);
        Assert.Equal(Pii, Single("CALL refresh_customer(1)").AnyColumn);
        Assert.Null(Single("SELECT id FROM orders", MaskedRelations.Empty).AnyColumn);
    }

    [Fact]
    public void Order_by_an_unmasked_column_beside_an_unnamed_derived_output_is_not_a_masked_predicate()
    {
        var relations = RelationsWith(Mask("pii", predicates: true));

        Assert.Null(MaskAnalyzer.Analyze("SELECT id, email || 'x' FROM customers ORDER BY id", relations).Refusal);
        Assert.Null(MaskAnalyzer.Analyze("SELECT id, email IS NULL FROM customers ORDER BY id", relations).Refusal);
        Assert.NotNull(MaskAnalyzer.Analyze("SELECT id, upper(email) FROM customers ORDER BY upper", relations).Refusal);
    }

    [Fact]
    public void Cursor_declare_describes_its_query_and_fetch_names_it()
    {
        var analysis = MaskAnalyzer.Analyze("DECLARE c CURSOR FOR SELECT id, upper(email) FROM customers; FETCH 10 FROM c; MOVE c", Relations);

        Assert.Equal(3, analysis.Statements.Count);
        Assert.Equal("c", analysis.Statements[0].DeclaresCursor);
        Assert.Equal([null, Derived], analysis.Statements[0].Columns);
        Assert.Equal("c", analysis.Statements[1].FetchesCursor);
        Assert.Null(analysis.Statements[1].Columns);
        Assert.True(analysis.Statements[1].TouchesMaskedData);
        Assert.False(MaskAnalyzer.Analyze("FETCH c", MaskedRelations.Empty).Statements[0].TouchesMaskedData);
        Assert.Equal("c", analysis.Statements[2].FetchesCursor);
    }

    [Fact]
    public void Prepare_describes_its_query_and_execute_names_it()
    {
        var analysis = MaskAnalyzer.Analyze("PREPARE p(int) AS SELECT email FROM customers WHERE id = $1; EXECUTE p(1)", Relations);

        Assert.Equal("p", analysis.Statements[0].PreparesName);
        Assert.Equal([Bare], analysis.Statements[0].Columns);
        Assert.Equal("p", analysis.Statements[1].ExecutesName);
    }

    [Fact]
    public void Copy_relation_to_stdout_defaults_to_text()
    {
        var copy = Single("COPY customers TO STDOUT").Copy;

        Assert.Equal(new CopyOut(null, "customers", null, null, CopyFormat.Text, false, '\t', "\\N", '"', '\\'), copy);
    }

    [Fact]
    public void Copy_columns_with_csv_options()
    {
        var statement = Single("COPY public.customers (id, email) TO STDOUT WITH (FORMAT csv, HEADER, DELIMITER ';', NULL 'n', QUOTE '''')");

        var copy = Assert.IsType<CopyOut>(statement.Copy);
        Assert.Equal(("public", "customers", CopyFormat.Csv, true, ';', "n", '\'', '\''),
            (copy.Schema, copy.Relation, copy.Format, copy.Header, copy.Delimiter, copy.NullString, copy.Quote, copy.Escape));
        Assert.Equal(["id", "email"], copy.ColumnNames!);
        Assert.True(statement.TouchesMaskedData);
    }

    [Fact]
    public void Copy_legacy_csv_header_and_binary()
    {
        var csv = Single("COPY customers TO STDOUT CSV HEADER").Copy!;
        Assert.Equal((CopyFormat.Csv, true, ',', "", '"', '"'), (csv.Format, csv.Header, csv.Delimiter, csv.NullString, csv.Quote, csv.Escape));

        Assert.Equal(CopyFormat.Binary, Single("COPY customers TO STDOUT BINARY").Copy!.Format);
        Assert.Equal('\\', Single("COPY customers TO STDOUT WITH CSV ESCAPE '\\'").Copy!.Escape);
    }

    [Fact]
    public void Copy_query_to_stdout_describes_the_query()
    {
        var copy = Single("COPY (SELECT id, md5(email) FROM customers) TO STDOUT").Copy!;

        Assert.Null(copy.Relation);
        Assert.Equal([null, Derived], copy.Query!.Columns);
    }

    [Theory]
    [InlineData("COPY customers TO STDOUT WITH (FORMAT csv, FORCE_QUOTE *)", "force_quote")]
    [InlineData("COPY customers (email) TO STDOUT WITH (ENCODING 'latin1')", "encoding")]
    public void Copy_option_not_supported_on_masked_data_is_refused(string sql, string option)
    {
        Assert.Equal($"COPY option {option} is not supported on masked data", Refused(sql, Relations).Reason);
    }

    [Fact]
    public void Copy_option_on_unmasked_columns_is_not_refused()
    {
        Assert.Null(MaskAnalyzer.Analyze("COPY customers (id, name) TO STDOUT WITH (FORMAT csv, FORCE_QUOTE *)", Relations).Refusal);
        Assert.Null(MaskAnalyzer.Analyze("COPY orders TO STDOUT WITH (FORMAT csv, FORCE_QUOTE *)", Relations).Refusal);
    }

    [Theory]
    [InlineData("COPY customers TO '/tmp/out'")]
    [InlineData("COPY (SELECT upper(email) FROM customers) TO PROGRAM 'cat'")]
    [InlineData("INSERT INTO orders (total) SELECT length(email) FROM customers")]
    [InlineData("INSERT INTO orders SELECT * FROM customers")]
    [InlineData("INSERT INTO orders (total) VALUES ((SELECT max(card) FROM customers))")]
    [InlineData("UPDATE customers SET name = email")]
    [InlineData("UPDATE orders o SET total = length(c.card) FROM customers c WHERE c.id = o.customer_id")]
    [InlineData("CREATE TABLE t AS SELECT email FROM customers")]
    [InlineData("SELECT email INTO t FROM customers")]
    [InlineData("CREATE MATERIALIZED VIEW m AS SELECT upper(email) FROM customers")]
    [InlineData("CREATE VIEW v AS SELECT c.* FROM customers c")]
    [InlineData("MERGE INTO orders o USING customers c ON o.id = c.id WHEN NOT MATCHED THEN INSERT (total) VALUES (length(c.email))")]
    [InlineData("WITH x AS (SELECT email FROM customers) INSERT INTO orders (total) SELECT length(email) FROM x")]
    [InlineData("SELECT set_config('app.x', email, false) FROM customers")]
    [InlineData("SELECT pg_notify('c', card) FROM customers")]
    [InlineData("CALL p((SELECT email FROM customers LIMIT 1))")]
    public void Writes_of_masked_values_are_refused_whatever_the_settings(string sql)
    {
        Assert.Contains("would copy masked values into", Refused(sql, Relations).Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("INSERT INTO orders (total) SELECT count(*) FROM customers")]
    [InlineData("UPDATE customers SET name = 'x' WHERE id = 1")]
    [InlineData("CREATE TABLE t AS SELECT id, name FROM customers")]
    [InlineData("COPY customers (id) TO '/tmp/out'")]
    public void Writes_of_clean_values_are_not_refused(string sql)
    {
        Assert.Null(MaskAnalyzer.Analyze(sql, Relations).Refusal);
    }

    [Fact]
    public void Returning_lists_are_target_lists_over_the_written_relation()
    {
        Assert.Equal([null, Bare], Columns("DELETE FROM customers WHERE id = 1 RETURNING id, email"));
        Assert.Equal([Derived], Columns("UPDATE customers SET name = 'x' WHERE id = 1 RETURNING upper(card)"));
    }

    [Theory]
    [InlineData("SELECT id FROM customers WHERE email LIKE 'a%'")]
    [InlineData("SELECT o.id FROM orders o JOIN customers c ON c.email = o.total::text")]
    [InlineData("SELECT id FROM customers ORDER BY email")]
    [InlineData("SELECT id, email FROM customers ORDER BY 2")]
    [InlineData("SELECT id, upper(email) AS u FROM customers ORDER BY u")]
    [InlineData("SELECT count(*) FROM customers GROUP BY email")]
    [InlineData("SELECT count(*) FROM customers GROUP BY id HAVING max(email) > 'm'")]
    [InlineData("SELECT id FROM orders o WHERE EXISTS (SELECT 1 FROM customers c WHERE c.email = 'a@b.c')")]
    [InlineData("SELECT id FROM orders WHERE customer_id IN (SELECT id FROM customers WHERE card LIKE '4%')")]
    [InlineData("SELECT DISTINCT ON (email) id FROM customers")]
    [InlineData("SELECT count(*) FILTER (WHERE email LIKE 'a%') FROM customers")]
    [InlineData("DELETE FROM customers WHERE email = 'a@b.c'")]
    [InlineData("SELECT id FROM (SELECT id, upper(email) u FROM customers) s WHERE u = 'A'")]
    [InlineData("EXPLAIN SELECT id FROM customers WHERE email = 'a@b.c'")]
    [InlineData("SELECT 1 FROM customers NATURAL JOIN customer_view")]
    [InlineData("SELECT total::text AS t FROM orders UNION SELECT email FROM customers ORDER BY t")]
    public void Predicates_on_masked_columns_follow_the_predicates_setting(string sql)
    {
        var refusal = Refused(sql, RelationsWith(Mask("pii", predicates: true)));
        Assert.Equal("the statement filters, joins, orders or groups on a masked column (mask 'pii' has predicates: deny)", refusal.Reason);

        Assert.Null(MaskAnalyzer.Analyze(sql, Relations).Refusal);
    }

    [Theory]
    [InlineData("SELECT upper(email) FROM customers", "the result column 1")]
    [InlineData("SELECT id, c FROM customers c", "the result column 2")]
    [InlineData("SELECT * FROM (SELECT md5(email) FROM customers) s", "a result column")]
    public void Derived_columns_follow_the_derived_setting(string sql, string column)
    {
        var refusal = Refused(sql, RelationsWith(Mask("pii", derived: true)));
        Assert.Equal($"{column} is derived from a masked column (mask 'pii' has derived: deny)", refusal.Reason);

        Assert.Null(MaskAnalyzer.Analyze(sql, Relations).Refusal);
    }

    [Fact]
    public void Bare_reference_is_not_refused_under_derived_deny()
    {
        Assert.Null(MaskAnalyzer.Analyze("SELECT email FROM customers", RelationsWith(Mask("pii", derived: true))).Refusal);
    }

    [Fact]
    public void Explain_without_analyze_returns_no_values_and_runs_no_write()
    {
        var relations = RelationsWith(Mask("pii", derived: true));
        var analysis = MaskAnalyzer.Analyze("EXPLAIN SELECT upper(email) FROM customers; EXPLAIN INSERT INTO orders SELECT * FROM customers", relations);

        Assert.Null(analysis.Refusal);
        Assert.Equal([null], analysis.Statements[0].Columns);
        Assert.Contains("would copy masked values", Refused("EXPLAIN ANALYZE INSERT INTO orders SELECT * FROM customers", relations).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Do_block_is_refused()
    {
        Assert.StartsWith("DO blocks cannot be analysed", Refused("DO $$ BEGIN PERFORM 1; END $$", Relations).Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("SELECT most_common_vals FROM pg_stats WHERE attname = 'email'")]
    [InlineData("SELECT * FROM pg_catalog.pg_statistic")]
    [InlineData("SELECT 1 FROM orders WHERE EXISTS (SELECT 1 FROM pg_stats_ext)")]
    public void Statistics_catalogs_are_refused(string sql)
    {
        Assert.Contains("hold samples of column values", Refused(sql, Relations).Reason, StringComparison.Ordinal);
        Assert.Null(MaskAnalyzer.Analyze(sql, MaskedRelations.Empty).Refusal);
    }

    [Fact]
    public void Multi_statement_text_gives_one_result_per_statement_and_the_first_refusal()
    {
        var analysis = MaskAnalyzer.Analyze(
            "SELECT id FROM orders; SELECT email, upper(name) FROM customers; UPDATE customers SET name = card; DO $$ $$", Relations);

        Assert.Equal(4, analysis.Statements.Count);
        Assert.Equal([null], analysis.Statements[0].Columns);
        Assert.False(analysis.Statements[0].TouchesMaskedData);
        Assert.Equal([Bare, null], analysis.Statements[1].Columns);
        Assert.Empty(analysis.Statements[2].Columns!);
        Assert.Contains("UPDATE would copy masked values into customers", analysis.Refusal!.Reason, StringComparison.Ordinal);
        Assert.True(analysis.TouchesMaskedData);
    }

    [Theory]
    [InlineData("SELEC email FROM customers")]
    [InlineData("SELECT email FROM customers\0; SELECT 1")]
    public void Unparsable_text_is_not_parsed(string sql)
    {
        var analysis = MaskAnalyzer.Analyze(sql, Relations);

        Assert.False(analysis.Parsed);
        Assert.Empty(analysis.Statements);
        Assert.Null(analysis.Refusal);
    }

    [Fact]
    public void Empty_relations_give_clean_statements()
    {
        var analysis = MaskAnalyzer.Analyze("SELECT upper(email), c FROM customers c; DO $$ $$", MaskedRelations.Empty);

        Assert.Null(analysis.Refusal);
        Assert.False(analysis.TouchesMaskedData);
        Assert.Equal([null, null], analysis.Statements[0].Columns);
    }

    [Fact]
    public void Deeply_nested_expression_is_refused_not_thrown()
    {
        var sql = "SELECT " + string.Concat(Enumerable.Repeat("upper(", 3000)) + "email" + new string(')', 3000) + " FROM customers";

        var analysis = MaskAnalyzer.Analyze(sql, Relations);

        Assert.True(analysis.Parsed);
        Assert.Equal("the statement nests too deeply to analyse for masks", analysis.Refusal?.Reason);
    }
}
