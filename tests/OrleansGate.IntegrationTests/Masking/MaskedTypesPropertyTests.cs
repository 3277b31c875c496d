using System.Globalization;
using System.Text;
using Npgsql;
using OrleansGate.IntegrationTests.Policy;
using OrleansGate.Postgres.Protocol;

namespace OrleansGate.IntegrationTests.Masking;

/// <summary>
/// The property: random values of every common type, masked by every method, are still valid values of their type in
/// both formats. Binary: Npgsql decodes every one without an error. Text: every value read through the simple protocol
/// is accepted by the target's own input function for its type. A replacement that has no faithful form is NULL.
/// </summary>
[Collection(MaskingCollection.Name)]
public sealed class MaskedTypesPropertyTests(MaskingFixture fixture)
{
    private const int Rows = 120;

    /// <summary>Column name and type; the table has an id, then these.</summary>
    private static readonly (string Name, string Type)[] Columns =
    [
        ("c_text", "text"), ("c_varchar", "varchar(40)"), ("c_bpchar", "char(12)"), ("c_name", "name"),
        ("c_int2", "int2"), ("c_int4", "int4"), ("c_int8", "int8"), ("c_numeric", "numeric"), ("c_float8", "float8"),
        ("c_bool", "bool"), ("c_date", "date"), ("c_ts", "timestamptz"), ("c_uuid", "uuid"), ("c_bytea", "bytea"),
        ("c_json", "json"), ("c_jsonb", "jsonb"), ("c_text_arr", "text[]"), ("c_int_arr", "int4[]"), ("c_interval", "interval"),
        ("c_inet", "inet"), ("c_xml", "xml"),
    ];

    private static readonly string[] Methods = ["redact", "partial", "hash", "null"];

    [Theory]
    [InlineData("redact")]
    [InlineData("partial")]
    [InlineData("hash")]
    [InlineData("null")]
    public async Task Every_type_masked_by_every_method_decodes_in_binary_and_parses_in_text(string method)
    {
        var table = $"typed_{method}";
        var select = $"SELECT id, {string.Join(", ", Columns.Select(c => c.Name))} FROM {table} ORDER BY id";

        // Binary, through Npgsql: every value decodes.
        await using (var connection = await fixture.OpenAsync())
        {
            await using var reader = await new NpgsqlCommand(select, connection).ExecuteReaderAsync();
            var rows = 0;
            var masked = 0;
            while (await reader.ReadAsync())
            {
                rows++;
                Assert.Equal(rows, reader.GetInt32(0));
                for (var i = 1; i < reader.FieldCount; i++)
                {
                    if (!await reader.IsDBNullAsync(i))
                    {
                        _ = reader.GetValue(i); // throws on a value that is not a valid encoding of its type
                        masked++;
                    }
                }
            }

            Assert.Equal(Rows, rows);
            Assert.True(method == "null" ? masked == 0 : masked > 0, $"{method}: {masked} non-NULL replacements");
        }

        // Text, through the simple protocol: the target's input function accepts every value for its column type.
        await using var session = await RawSession.OpenAsync(fixture.Node);
        var answers = await session.QueryAsync(select);
        Assert.Null(RawSession.Error(answers));
        var values = Columns.Select(_ => new List<string?>()).ToArray();
        foreach (var (_, payload) in answers.Where(a => a.Code == 'D'))
        {
            var fields = DataRowFields(payload);
            for (var i = 1; i < fields.Count; i++)
            {
                values[i - 1].Add(fields[i]);
            }
        }

        await using var direct = new NpgsqlConnection(fixture.DirectConnectionString);
        await direct.OpenAsync();
        for (var c = 0; c < Columns.Length; c++)
        {
            Assert.Equal(Rows, values[c].Count);
            await using var check = new NpgsqlCommand($"SELECT count(v::{Columns[c].Type}) FROM unnest($1::text[]) v", direct)
            {
                Parameters = { new() { Value = values[c].ToArray() } },
            };
            try
            {
                await check.ExecuteScalarAsync();
            }
            catch (PostgresException e)
            {
                Assert.Fail($"{method}, {Columns[c].Type}: a text replacement is not a valid {Columns[c].Type}: {e.SqlState}");
            }
        }
    }

    private static List<string?> DataRowFields(byte[] payload)
    {
        var fields = new List<string?>();
        var count = System.Buffers.Binary.BinaryPrimitives.ReadInt16BigEndian(payload);
        var offset = 2;
        for (var i = 0; i < count; i++)
        {
            var length = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(payload.AsSpan(offset));
            offset += 4;
            fields.Add(length < 0 ? null : Encoding.UTF8.GetString(payload, offset, length));
            offset += Math.Max(length, 0);
        }

        return fields;
    }

    /// <summary>The four tables (one per method) with the same seeded random rows, made by the fixture before the node starts.</summary>
    internal static string TablesSql()
    {
        var random = new Random(20261202);
        var rows = new StringBuilder();
        for (var id = 1; id <= Rows; id++)
        {
            rows.Append(id == 1 ? "" : ",\n").Append('(').Append(id);
            foreach (var (_, type) in Columns)
            {
                rows.Append(", ").Append(random.Next(10) == 0 ? "NULL" : Literal(type, random));
            }

            rows.Append(')');
        }

        var sql = new StringBuilder();
        foreach (var method in Methods)
        {
            sql.Append(CultureInfo.InvariantCulture, $"CREATE TABLE typed_{method} (id integer PRIMARY KEY, {string.Join(", ", Columns.Select(c => $"{c.Name} {c.Type}"))});\n");
            sql.Append(CultureInfo.InvariantCulture, $"INSERT INTO typed_{method} VALUES {rows};\n");
        }

        return sql.ToString();
    }

    private static string Literal(string type, Random random)
    {
        string Text(int max)
        {
            const string alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789 @.-_éß漢字😀";
            var length = random.Next(0, max);
            var builder = new StringBuilder();
            for (var i = 0; i < length; i++)
            {
                builder.Append(char.ConvertFromUtf32(char.ConvertToUtf32(alphabet, AlphabetIndex(alphabet, random))));
            }

            return "'" + builder.ToString().Replace("'", "''", StringComparison.Ordinal) + "'";
        }

        return type switch
        {
            "text" => Text(60),
            "varchar(40)" => Text(40),
            "char(12)" => Text(12),
            "name" => Text(20),
            "int2" => random.Next(short.MinValue, short.MaxValue).ToString(CultureInfo.InvariantCulture),
            "int4" => random.Next(int.MinValue, int.MaxValue).ToString(CultureInfo.InvariantCulture),
            "int8" => random.NextInt64(long.MinValue, long.MaxValue).ToString(CultureInfo.InvariantCulture),
            "numeric" => $"{random.NextInt64(-1_000_000_000, 1_000_000_000)}.{random.Next(0, 99999)}",
            "float8" => (random.NextDouble() * 1e6 - 5e5).ToString("R", CultureInfo.InvariantCulture),
            "bool" => random.Next(2) == 0 ? "true" : "false",
            "date" => $"'{new DateOnly(1900, 1, 1).AddDays(random.Next(0, 70000)):yyyy-MM-dd}'",
            "timestamptz" => $"'{new DateTime(2000, 1, 1).AddSeconds(random.NextInt64(0, 1_000_000_000)):yyyy-MM-dd HH:mm:ss}+00'",
            "uuid" => $"'{new Guid(RandomBytes(random, 16))}'",
            "bytea" => $"'\\x{Convert.ToHexString(RandomBytes(random, random.Next(0, 40)))}'",
            "json" => $"'{{\"k\": {random.Next()}, \"s\": \"v{random.Next()}\"}}'",
            "jsonb" => $"'{{\"a\": [{random.Next()}, \"{random.Next()}\"]}}'",
            "text[]" => $"ARRAY[{Text(10)}, {Text(10)}]",
            "int4[]" => $"ARRAY[{random.Next()}, {random.Next()}]",
            "interval" => $"'{random.Next(0, 1000)} days {random.Next(0, 24)} hours'",
            "inet" => $"'10.{random.Next(256)}.{random.Next(256)}.{random.Next(256)}'",
            "xml" => $"'<a b=\"{random.Next()}\">t</a>'",
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
        };
    }

    private static int AlphabetIndex(string alphabet, Random random)
    {
        // A random index that starts a whole character (not the low half of a surrogate pair).
        while (true)
        {
            var i = random.Next(alphabet.Length);
            if (!char.IsLowSurrogate(alphabet[i]))
            {
                return i;
            }
        }
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
