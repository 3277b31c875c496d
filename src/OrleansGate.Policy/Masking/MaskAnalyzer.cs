using System.Text;
using System.Text.Json;
using OrleansGate.Policy.Classification.Native;

namespace OrleansGate.Policy.Masking;

/// <summary>
/// Static analysis of SQL text for column masking (issue 15: sensitive values never reach the agent, however the query
/// is written). Fail-closed: where it cannot tell where a value comes from, it counts it as derived from a masked column.
/// </summary>
/// <remarks>
/// <code>
///  text ──► libpg_query JSON tree ──► per statement, MaskWalker:
///   1. FROM items in scope: masked relations (by name), subqueries, CTEs, functions, joins, outer levels
///   2. target list: a bare reference keeps Derived=false; anything else carries, derived, every mask under it
///   3. WHERE, JOIN, ORDER/GROUP BY, window and aggregate clauses: predicates (predicates: deny)
///   4. writes of masked values (INSERT … SELECT, UPDATE SET, CREATE TABLE AS, COPY TO file): refused
///  ──► StatementMasking per statement, the first refusal of the text
/// </code>
/// The relay masks a column when its RowDescription ties it to a masked column, or this analysis marks it.
/// </remarks>
public static class MaskAnalyzer
{
    // As in SqlClassifier: about two JSON levels per expression level.
    private const int MaxTreeDepth = 4096;

    private const string TooDeep = "the statement nests too deeply to analyse for masks";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Never throws for bad input: unparsable text gives <see cref="MaskAnalysis.Parsed"/> false.</summary>
    /// <exception cref="DllNotFoundException">libpg_query is not installed; the caller must fail closed.</exception>
    public static MaskAnalysis Analyze(string sql, MaskedRelations relations)
    {
        ArgumentNullException.ThrowIfNull(sql);
        ArgumentNullException.ThrowIfNull(relations);

        var tree = Parse(sql);
        if (tree is null)
        {
            return MaskAnalysis.NotParsed;
        }

        try
        {
            using var document = JsonDocument.Parse(tree, new JsonDocumentOptions { MaxDepth = MaxTreeDepth });
            return AnalyzeTree(document.RootElement, relations);
        }
        catch (JsonException)
        {
            var mask = relations.AnyMask;
            return mask is null ? new MaskAnalysis(true, [], null) : new MaskAnalysis(true, [], new MaskRefusal(mask, TooDeep));
        }
    }

    private static MaskAnalysis AnalyzeTree(JsonElement root, MaskedRelations relations)
    {
        var statements = new List<StatementMasking>();
        MaskRefusal? refusal = null;
        if (root.TryGetProperty("stmts", out var raw) && raw.ValueKind == JsonValueKind.Array)
        {
            foreach (var rawStatement in raw.EnumerateArray())
            {
                if (!rawStatement.TryGetProperty("stmt", out var statement))
                {
                    continue;
                }

                var walker = new MaskWalker(relations);
                string? failure = null;
                try
                {
                    statements.Add(walker.Statement(statement));
                }
                catch (InsufficientExecutionStackException)
                {
                    failure = TooDeep;
                }
                catch (Exception exception) when (exception is InvalidOperationException or KeyNotFoundException
                    or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
                {
                    // A tree shape the walker does not expect: refuse rather than guess.
                    failure = "the statement could not be analysed for masks";
                }

                if (failure is not null)
                {
                    var mask = relations.AnyMask;
                    statements.Add(new StatementMasking { AnyColumn = mask, TouchesMaskedData = mask is not null });
                    refusal ??= mask is null ? null : new MaskRefusal(mask, failure);
                }

                refusal ??= walker.Refusal;
            }
        }

        return new MaskAnalysis(true, statements, refusal);
    }

    /// <summary>The JSON parse tree, or null when the text does not parse (or could not reach the parser as the server sees it).</summary>
    private static unsafe byte[]? Parse(string sql)
    {
        // The parser reads a C string: text after a NUL would go unanalysed.
        if (sql.Contains('\0', StringComparison.Ordinal))
        {
            return null;
        }

        byte[] utf8;
        try
        {
            utf8 = new byte[StrictUtf8.GetByteCount(sql) + 1];
            StrictUtf8.GetBytes(sql, utf8);
        }
        catch (EncoderFallbackException)
        {
            return null;
        }

        fixed (byte* input = utf8)
        {
            return PgQuery.Parse(input, out _);
        }
    }
}
