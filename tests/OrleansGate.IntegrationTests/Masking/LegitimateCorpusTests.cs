using System.Security.Cryptography;
using System.Text;
using Npgsql;
using OrleansGate.IntegrationTests.Fixtures;

namespace OrleansGate.IntegrationTests.Masking;

/// <summary>
/// The issue's legitimate corpus: queries on the masked tables still work through psql and Npgsql, and give what the
/// target gives directly, with only the masked values changed. Keyed-hash masks keep joins and group-bys across tables.
/// </summary>
[Collection(MaskingCollection.Name)]
public sealed class LegitimateCorpusTests(MaskingFixture fixture)
{
    /// <summary>A query, and the result columns (0-based) that are masked: those must read "[masked]", the rest as direct.</summary>
    public static readonly TheoryData<string, int[]> Queries = new()
    {
        { "SELECT count(*) FROM customers", [] },
        { "SELECT id, name FROM customers ORDER BY id", [] },
        { "SELECT id, name, email FROM customers ORDER BY id", [2] },
        { "SELECT id, card, region FROM customers ORDER BY id", [1] },
        { "SELECT c.name, o.amount FROM customers c JOIN orders o ON o.customer_id = c.id ORDER BY o.id", [] },
        { "SELECT c.id, min(c.email), sum(o.amount) FROM customers c JOIN orders o ON o.customer_id = c.id GROUP BY c.id ORDER BY c.id", [1] },
        { "SELECT region, count(*) FROM customers GROUP BY region ORDER BY region", [] },
        { "SELECT id FROM customers WHERE region = 'eu' ORDER BY id", [] },
        { "SELECT id FROM customers WHERE id IN (SELECT customer_id FROM orders) ORDER BY id", [] },
        { "WITH big AS (SELECT customer_id FROM orders WHERE amount > 100) SELECT c.name FROM customers c JOIN big ON big.customer_id = c.id ORDER BY c.name", [] },
        { "SELECT id, row_number() OVER (ORDER BY id) FROM customers ORDER BY id", [] },
        { "SELECT name FROM customers ORDER BY name LIMIT 2 OFFSET 1", [] },
        { "SELECT id FROM customers UNION SELECT customer_id FROM orders ORDER BY 1", [] },
        { "SELECT upper(name), length(region) FROM customers ORDER BY id", [] },
        { "SELECT max(amount), min(amount) FROM orders", [] },
        { "SELECT count(*) FROM customers c JOIN orders o ON o.customer_id = c.id WHERE o.amount > 20", [] },
        { "SELECT id, email AS contact FROM customers WHERE id = 2", [1] },
        { "SELECT o.id, c.name FROM orders o LEFT JOIN customers c ON c.id = o.customer_id ORDER BY o.id", [] },
        { "SELECT exists (SELECT 1 FROM orders WHERE customer_id = 3)", [] },
        { "SELECT count(DISTINCT region) FROM customers", [] },
        { "SELECT id, body FROM notes ORDER BY id", [] },
        { "SELECT * FROM orders ORDER BY id", [] },
    };

    [Theory]
    [MemberData(nameof(Queries))]
    public async Task Through_npgsql_the_result_is_the_target_s_with_only_masked_values_changed(string sql, int[] masked)
    {
        var expected = await DirectAsync(sql, masked);
        await using var connection = await fixture.OpenAsync();
        Assert.Equal(expected, await ReadAsync(connection, sql));
    }

    [Theory]
    [MemberData(nameof(Queries))]
    public async Task Through_psql_the_result_is_the_target_s_with_only_masked_values_changed(string sql, int[] masked)
    {
        var expected = await DirectAsync(sql, masked);
        var result = await fixture.PsqlAsync([sql]);
        Assert.True(result.ExitCode == 0, result.ToString());
        var rows = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => string.Join('|', line.Split('|').Select(f => f == "(null)" ? "" : f)))
            .ToList();
        Assert.Equal(expected, rows);
    }

    [Fact]
    public async Task Keyed_hash_masks_keep_joins_and_group_bys_across_tables_in_both_formats()
    {
        var hashOf = (string value) => "h:" + Convert.ToHexString(HMACSHA256.HashData(Encoding.UTF8.GetBytes(fixture.HashKey), Encoding.UTF8.GetBytes(value)))[..24].ToLowerInvariant();
        const string sql = "SELECT l.id, l.email, s.email FROM leads l JOIN subscribers s ON s.id = l.id ORDER BY l.id";
        await using var connection = await fixture.OpenAsync();
        var binary = await ReadAsync(connection, sql);
        Assert.Equal(
            [$"1|{hashOf("shared.one@example.com")}|{hashOf("shared.one@example.com")}",
             $"2|{hashOf("shared.two@example.com")}|{hashOf("subscriber.only@example.com")}",
             $"3|{hashOf("lead.only@example.com")}|{hashOf("shared.two@example.com")}"],
            binary);

        var text = await fixture.PsqlAsync([sql]);
        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Equal(binary, text.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList());

        // Joined on the hashed column itself (predicates: allow for this mask): the target joins clear values, the agent sees hashes.
        var joined = await ReadAsync(connection, "SELECT count(*) FROM leads l JOIN subscribers s ON s.email = l.email");
        Assert.Equal(["2"], joined);
        var grouped = await ReadAsync(connection, "SELECT email, count(*) FROM (SELECT email FROM leads UNION ALL SELECT email FROM subscribers) u GROUP BY email ORDER BY 2 DESC, 1");
        Assert.Equal(4, grouped.Count);
        Assert.All(grouped, row => Assert.StartsWith("h:", row, StringComparison.Ordinal));
        Assert.Equal(2, grouped.Count(row => row.EndsWith("|2", StringComparison.Ordinal)));
    }

    private async Task<List<string>> DirectAsync(string sql, int[] masked)
    {
        await using var direct = new NpgsqlConnection(fixture.DirectConnectionString);
        await direct.OpenAsync();
        var rows = await ReadAsync(direct, sql);
        return [.. rows.Select(row => string.Join('|', row.Split('|').Select((value, i) => masked.Contains(i) ? "[masked]" : value)))];
    }

    /// <summary>Rows as psql -A -t prints them (text of each value, '|' between, empty for NULL).</summary>
    private static async Task<List<string>> ReadAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
        {
            var values = new string[reader.FieldCount];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = await reader.IsDBNullAsync(i) ? "" : Text(reader.GetValue(i));
            }

            rows.Add(string.Join('|', values));
        }

        return rows;
    }

    private static string Text(object value) => value switch
    {
        bool b => b ? "t" : "f",
        decimal d => d.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };
}
