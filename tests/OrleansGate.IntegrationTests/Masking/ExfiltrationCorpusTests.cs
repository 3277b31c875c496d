using System.Security.Cryptography;
using System.Text;
using Npgsql;
using OrleansGate.IntegrationTests.Fixtures;

namespace OrleansGate.IntegrationTests.Masking;

/// <summary>
/// The exfiltration corpus: every attempt to read a masked <c>customers.email</c> or <c>customers.card</c> in
/// clear, run through real psql (simple protocol, text results) and real Npgsql (extended protocol, binary results).
/// Each attempt either comes back masked or is refused; none shows a value, or a transformation of one.
/// </summary>
[Collection(MaskingCollection.Name)]
public sealed class ExfiltrationCorpusTests(MaskingFixture fixture)
{
    /// <summary>What an attempt must give: every value a marker (or NULL), no secret anywhere in the output, or a refusal.</summary>
    public enum Expect
    {
        AllMasked,
        NoSecret,
        Refused,
        ErrorWithoutSecret,
    }

    public static readonly TheoryData<string, Expect> Attempts = new()
    {
        // The column itself, whatever it is called.
        { "SELECT email FROM customers", Expect.AllMasked },
        { "SELECT email AS e FROM customers", Expect.AllMasked },
        { "SELECT c.card AS not_a_card FROM customers c", Expect.AllMasked },
        { "SELECT * FROM customers", Expect.NoSecret },
        { "SELECT c.* FROM customers c", Expect.NoSecret },

        // Expressions and functions.
        { "SELECT upper(email) FROM customers", Expect.AllMasked },
        { "SELECT email || '' FROM customers", Expect.AllMasked },
        { "SELECT email::bytea FROM customers", Expect.AllMasked },
        { "SELECT encode(email::bytea, 'hex') FROM customers", Expect.AllMasked },
        { "SELECT encode(convert_to(card, 'UTF8'), 'base64') FROM customers", Expect.AllMasked },
        { "SELECT md5(email) FROM customers", Expect.AllMasked },
        { "SELECT substr(email, 1, 1) FROM customers", Expect.AllMasked },
        { "SELECT substr(card, 2, 1) FROM customers WHERE id = 1", Expect.AllMasked },
        { "SELECT ascii(substr(email, 3, 1)) FROM customers", Expect.AllMasked },
        { "SELECT format('%s', email) FROM customers", Expect.AllMasked },
        { "SELECT concat_ws(',', name, email) FROM customers", Expect.AllMasked },
        { "SELECT length(card) FROM customers", Expect.AllMasked },
        { "SELECT coalesce(card, '') FROM customers", Expect.AllMasked },
        { "SELECT translate(card, '0123456789', 'abcdefghij') FROM customers", Expect.AllMasked },
        { "SELECT regexp_replace(email, '@.*', '') FROM customers", Expect.AllMasked },
        { "SELECT split_part(email, '@', 1) FROM customers", Expect.AllMasked },
        { "SELECT reverse(card) FROM customers", Expect.AllMasked },
        { "SELECT email COLLATE \"C\" FROM customers", Expect.AllMasked },
        { "SELECT (email)::varchar(200) FROM customers", Expect.AllMasked },
        { "SELECT left(card, 6) || right(card, 4) FROM customers", Expect.AllMasked },
        { "SELECT quote_literal(email) FROM customers", Expect.AllMasked },
        { "SELECT CASE WHEN email LIKE 'a%' THEN 'yes' ELSE 'no' END FROM customers", Expect.AllMasked },

        // Aggregates and whole rows.
        { "SELECT string_agg(email, ',') FROM customers", Expect.AllMasked },
        { "SELECT array_agg(card) FROM customers", Expect.AllMasked },
        { "SELECT json_agg(email) FROM customers", Expect.AllMasked },
        { "SELECT c FROM customers c", Expect.AllMasked },
        { "SELECT row_to_json(c) FROM customers c", Expect.AllMasked },
        { "SELECT to_jsonb(c) FROM customers c", Expect.AllMasked },
        { "SELECT c::text FROM customers c", Expect.AllMasked },
        { "SELECT jsonb_path_query(to_jsonb(c), '$.email') FROM customers c", Expect.AllMasked },
        { "SELECT (c).email FROM customers c", Expect.AllMasked },
        { "SELECT jsonb_build_object('e', email) FROM customers", Expect.AllMasked },
        { "SELECT ARRAY(SELECT card FROM customers)", Expect.AllMasked },
        { "VALUES ((SELECT email FROM customers ORDER BY id LIMIT 1))", Expect.AllMasked },
        { "TABLE customers", Expect.NoSecret },
        { "UPDATE customers SET region = region WHERE id = 1 RETURNING email, upper(card)", Expect.AllMasked },

        // Subqueries, CTEs, set operations, lateral, views.
        { "SELECT (SELECT email FROM customers ORDER BY id LIMIT 1)", Expect.AllMasked },
        { "WITH e AS (SELECT email AS x FROM customers) SELECT x FROM e", Expect.AllMasked },
        { "WITH e AS (SELECT lower(email) AS x FROM customers) SELECT x FROM e", Expect.AllMasked },
        { "SELECT * FROM (SELECT reverse(card) AS r FROM customers) s", Expect.AllMasked },
        { "SELECT name FROM customers UNION ALL SELECT email FROM customers", Expect.AllMasked },
        { "SELECT x FROM customers c, LATERAL (SELECT c.email AS x) l", Expect.AllMasked },
        { "SELECT u FROM customers c, LATERAL unnest(ARRAY[c.email, c.card]) AS u", Expect.AllMasked },
        { "SELECT email FROM customer_contacts", Expect.AllMasked },
        { "SELECT upper(email) FROM customer_contacts", Expect.AllMasked },

        // Harder shapes: lateral whole rows, recursion, correlated sublinks, quoting, ROWS FROM, char-by-char reassembly.
        { "SELECT * FROM customers c, LATERAL row_to_json(c) j", Expect.NoSecret },
        { "SELECT * FROM customers c CROSS JOIN LATERAL (SELECT upper(c.email)) x", Expect.NoSecret },
        { "SELECT string_agg(x, '') FROM (SELECT substr(email, g, 1) AS x FROM customers, generate_series(1, 40) g) s", Expect.AllMasked },
        { "WITH RECURSIVE r(n, s) AS (SELECT 1, (SELECT email FROM customers ORDER BY id LIMIT 1) UNION ALL SELECT n + 1, s FROM r WHERE n < 2) SELECT s FROM r", Expect.Refused }, // every column of a recursive CTE over masked data counts as masked: its WHERE is a predicate
        { "SELECT x.* FROM (SELECT upper(email) FROM customers) x", Expect.AllMasked },
        { "SELECT (SELECT c2.email FROM customers c2 WHERE c2.id = c.id) FROM customers c", Expect.AllMasked },
        { "SELECT unnest(string_to_array(email, '@')) FROM customers", Expect.AllMasked },
        { "SELECT convert_from(convert_to(email, 'UTF8'), 'UTF8') FROM customers", Expect.AllMasked },
        { "SELECT c.* FROM customer_contacts c", Expect.NoSecret },
        { "SELECT \"email\" FROM public.\"customers\"", Expect.AllMasked },
        { "SELECT email FROM ONLY customers", Expect.AllMasked },
        { "SELECT * FROM ROWS FROM (unnest(ARRAY(SELECT email FROM customers)))", Expect.AllMasked },
        { "SELECT jsonb_agg(c) FROM customers c", Expect.AllMasked },
        { "SELECT xmlagg(xmlelement(name e, email))::text FROM customers", Expect.AllMasked },
        { "SELECT pg_catalog.upper(email) FROM customers", Expect.AllMasked },
        { "SELECT email FROM customers LIMIT (SELECT length(card) FROM customers ORDER BY id LIMIT 1)", Expect.Refused },

        // Oracles: filtering, joining, ordering or grouping on a masked column (predicates: deny).
        { "SELECT id FROM customers WHERE email LIKE 'a%'", Expect.Refused },
        { "SELECT count(*) FROM customers WHERE substr(card, 1, 1) = '4'", Expect.Refused },
        { "SELECT id FROM customers ORDER BY email", Expect.Refused },
        { "SELECT count(*) FROM customers GROUP BY card", Expect.Refused },
        { "SELECT c.id FROM customers c JOIN leads l ON l.email = c.email", Expect.Refused },
        { "SELECT id FROM customers c WHERE EXISTS (SELECT 1 FROM customers d WHERE d.id = c.id AND d.email LIKE 'a%')", Expect.Refused },
        { "SELECT count(*) FILTER (WHERE email LIKE 'a%') FROM customers", Expect.Refused },

        // Other ways out: statistics, copies, code the gateway cannot read, errors that quote a value.
        { "SELECT most_common_vals::text FROM pg_stats WHERE attname = 'email'", Expect.Refused },
        { "CREATE TABLE stolen AS SELECT email FROM customers", Expect.Refused },
        { "INSERT INTO orders (id, customer_id, amount) SELECT 100 + id, id, length(card) FROM customers", Expect.Refused },
        { "UPDATE customers SET name = email WHERE id = 1", Expect.Refused },
        { "ALTER TABLE customers RENAME COLUMN email TO contact", Expect.Refused },
        { "DO $$ BEGIN RAISE NOTICE '%', (SELECT email FROM customers LIMIT 1); END $$", Expect.Refused },
        { "SELECT email::integer FROM customers", Expect.ErrorWithoutSecret },
        { "SELECT (card || 'x')::numeric FROM customers", Expect.ErrorWithoutSecret },
    };

    [Theory]
    [MemberData(nameof(Attempts))]
    public async Task Through_npgsql_no_attempt_shows_a_clear_value(string sql, Expect expect)
    {
        await using var connection = await fixture.OpenAsync();
        try
        {
            var rows = await ReadAllAsync(connection, sql);
            Assert.True(expect is Expect.AllMasked or Expect.NoSecret, $"{sql}: expected {expect}, got {rows.Count} rows");
            Check(sql, expect, rows);
        }
        catch (PostgresException e)
        {
            CheckError(sql, expect, e.SqlState, e.MessageText + " " + e.Detail + " " + e.Hint + " " + e.Where);
        }
    }

    [Theory]
    [MemberData(nameof(Attempts))]
    public async Task Through_psql_no_attempt_shows_a_clear_value(string sql, Expect expect)
    {
        var result = await fixture.PsqlAsync([sql]);
        if (expect is Expect.Refused or Expect.ErrorWithoutSecret)
        {
            Assert.True(result.ExitCode != 0, $"{sql}: expected {expect}, psql succeeded: {result}");
            AssertNoSecret(sql, result.StandardOutput + result.StandardError);
            if (expect == Expect.Refused)
            {
                Assert.Contains("denied by rule", result.StandardError, StringComparison.Ordinal);
            }

            return;
        }

        Assert.True(result.ExitCode == 0, result.ToString());
        var rows = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => (IReadOnlyList<object?>)line.Split('|').Select(f => (object?)(f == "(null)" ? null : f)).ToArray())
            .ToList();
        Check(sql, expect, rows);
    }

    [Fact]
    public async Task A_cursor_fetched_in_pieces_and_a_prepared_statement_show_no_clear_value()
    {
        var psql = await fixture.PsqlAsync([
            "BEGIN",
            "DECLARE cur CURSOR FOR SELECT email, upper(card) FROM customers ORDER BY id",
            "FETCH 2 FROM cur",
            "FETCH ALL FROM cur",
            "COMMIT",
            "PREPARE leak AS SELECT lower(email) FROM customers",
            "EXECUTE leak",
        ]);
        Assert.True(psql.ExitCode == 0, psql.ToString());
        AssertNoSecret("cursor and prepared (psql)", psql.StandardOutput);
        Assert.Equal(8, psql.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.All(psql.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries), line => Assert.StartsWith("[masked]", line, StringComparison.Ordinal));

        await using var connection = await fixture.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await new NpgsqlCommand("DECLARE cur CURSOR FOR SELECT email, md5(card) FROM customers ORDER BY id", connection, transaction).ExecuteNonQueryAsync();
        var first = await ReadAllAsync(connection, "FETCH 1 FROM cur");
        var rest = await ReadAllAsync(connection, "FETCH ALL FROM cur");
        Assert.Single(first);
        Assert.Equal(3, rest.Count);
        Check("cursor (npgsql)", Expect.AllMasked, [.. first, .. rest]);
    }

    [Fact]
    public async Task Copy_in_text_csv_and_binary_shows_no_clear_value()
    {
        foreach (var copy in new[]
        {
            "COPY customers TO STDOUT",
            "COPY customers TO STDOUT WITH (FORMAT csv, HEADER)",
            "COPY customers (id, email, card) TO STDOUT (FORMAT csv)",
            "COPY (SELECT upper(email), card FROM customers) TO STDOUT",
            "COPY (SELECT * FROM customers) TO STDOUT (FORMAT csv)",
            "COPY (SELECT * FROM customer_contacts) TO STDOUT",
        })
        {
            var psql = await fixture.PsqlAsync([copy]);
            Assert.True(psql.ExitCode == 0 || psql.StandardError.Contains("denied by rule", StringComparison.Ordinal), psql.ToString());
            AssertNoSecret(copy, psql.StandardOutput + psql.StandardError);

            await using var connection = await fixture.OpenAsync();
            if (psql.ExitCode == 0)
            {
                using var reader = await connection.BeginTextExportAsync(copy);
                var text = await reader.ReadToEndAsync();
                AssertNoSecret(copy, text);
                Assert.Equal(psql.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length, text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
            }
        }

        await using (var connection = await fixture.OpenAsync())
        {
            await using var binary = await connection.BeginRawBinaryCopyAsync("COPY customers (id, email, card) TO STDOUT (FORMAT binary)");
            using var buffer = new MemoryStream();
            await binary.CopyToAsync(buffer);
            var bytes = buffer.ToArray();
            Assert.True(bytes.Length > 19, "binary COPY returned no data");
            AssertNoSecret("binary COPY", Encoding.Latin1.GetString(bytes));
        }

        await using (var connection = await fixture.OpenAsync())
        {
            await using var importer = await connection.BeginBinaryExportAsync("COPY customers (id, email) TO STDOUT (FORMAT binary)");
            var ids = new List<int>();
            while (await importer.StartRowAsync() != -1)
            {
                ids.Add(await importer.ReadAsync<int>());
                Assert.Equal("[masked]", await importer.ReadAsync<string>());
            }

            Assert.Equal(MaskingFixture.Customers.Select(c => c.Id), ids.Order()); // heap order: an UPDATE of the corpus moves a row
        }
    }

    private static async Task<List<IReadOnlyList<object?>>> ReadAllAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<IReadOnlyList<object?>>();
        do
        {
            while (await reader.ReadAsync())
            {
                var row = new object?[reader.FieldCount];
                for (var i = 0; i < row.Length; i++)
                {
                    row[i] = await reader.IsDBNullAsync(i) ? null : reader.GetValue(i);
                }

                rows.Add(row);
            }
        }
        while (await reader.NextResultAsync());

        return rows;
    }

    private static void Check(string sql, Expect expect, IReadOnlyList<IReadOnlyList<object?>> rows)
    {
        Assert.True(rows.Count > 0, $"{sql}: no rows came back");
        var text = string.Join('\n', rows.Select(r => string.Join('|', r.Select(Render))));
        AssertNoSecret(sql, text);
        if (expect == Expect.AllMasked)
        {
            foreach (var value in rows.SelectMany(r => r))
            {
                var rendered = Render(value);
                Assert.True(value is null || rendered is "[masked]" or "\"[masked]\"", $"{sql}: a value came back unmasked ({rendered.Length} characters)");
            }
        }
    }

    private static void CheckError(string sql, Expect expect, string sqlState, string text)
    {
        AssertNoSecret(sql, text);
        switch (expect)
        {
            case Expect.Refused:
                Assert.True(sqlState == "42501", $"{sql}: expected a refusal, got {sqlState}: {text}");
                break;
            case Expect.ErrorWithoutSecret:
                break;
            default:
                Assert.Fail($"{sql}: expected {expect}, got error {sqlState}: {text}");
                break;
        }
    }

    private static string Render(object? value) => value switch
    {
        null => "",
        byte[] bytes => Convert.ToHexString(bytes),
        Array array => string.Join(',', array.Cast<object?>().Select(Render)),
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };

    /// <summary>No secret in clear, nor its upper case, reversal, hex, base64 or MD5, nor a local part of an email.</summary>
    internal static void AssertNoSecret(string what, string output)
    {
        foreach (var secret in MaskingFixture.Secrets)
        {
            var bytes = Encoding.UTF8.GetBytes(secret);
            var forms = new[]
            {
                secret, secret.ToUpperInvariant(), new string(secret.Reverse().ToArray()),
                Convert.ToHexString(bytes), Convert.ToBase64String(bytes), Convert.ToHexString(MD5.HashData(bytes)),
                secret.Split('@')[0],
            };
            foreach (var form in forms)
            {
                Assert.False(output.Contains(form, StringComparison.OrdinalIgnoreCase), $"{what}: a masked value came back in clear or transformed");
            }
        }
    }
}
