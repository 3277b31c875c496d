using System.Text.Json;

namespace OrleansGate.Policy.Classification;

/// <summary>Questions about small parts of a statement: EXPLAIN options and WHERE clauses.</summary>
internal sealed partial class ParseTreeWalker
{
    /// <summary>
    /// True when any ANALYZE option is not plainly false. PostgreSQL takes the last one; taking any
    /// makes <c>EXPLAIN (ANALYZE, ANALYZE false)</c> err on the safe side.
    /// </summary>
    private bool IsAnalyze(JsonElement explain)
    {
        if (!explain.TryGetProperty("options", out var options) || options.ValueKind != JsonValueKind.Array)
        {
            return false;
        }

        foreach (var option in options.EnumerateArray())
        {
            if (!TryGetNode(option, out _, out var defElem) || GetString(defElem, "defname") != "analyze")
            {
                continue;
            }

            if (!defElem.TryGetProperty("arg", out var argument))
            {
                return true;
            }

            _literalSensitive = true;
            if (!IsFalseOption(argument))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsFalseOption(JsonElement argument)
    {
        if (!TryGetNode(argument, out var type, out var body))
        {
            return false;
        }

        if (type.SequenceEqual("Integer"u8))
        {
            // Integer 0 is written without its ival.
            return !body.TryGetProperty("ival", out var value) || (value.ValueKind == JsonValueKind.Number && value.GetInt64() == 0);
        }

        if (type.SequenceEqual("String"u8))
        {
            return GetString(body, "sval")?.ToLowerInvariant() is "false" or "off" or "no" or "0";
        }

        return type.SequenceEqual("Boolean"u8) && !GetBool(body, "boolval");
    }

    /// <summary>
    /// Whether an UPDATE or DELETE bounds the rows it writes: WHERE CURRENT OF, or a WHERE with an AND-conjunct
    /// (or, under OR, one in every branch) that compares a column of the written table with something that does
    /// not reference that same column (=, &lt;, IN, BETWEEN, IS NULL, LIKE, = ANY(…), IN (SELECT …)). So
    /// <c>WHERE $1</c>, <c>WHERE 2 &gt; 1</c>, <c>WHERE id = id</c>, <c>WHERE NOT false</c> and <c>WHERE true OR …</c> are
    /// unbounded. The answer never depends on a literal's value. A heuristic against accidents, not a proof:
    /// <c>WHERE id IS NOT NULL</c> still counts as bounded.
    /// </summary>
    private static bool HasBoundingWhere(JsonElement statement)
    {
        if (!statement.TryGetProperty("whereClause", out var where) || !statement.TryGetProperty("relation", out var relation))
        {
            return false;
        }

        // With USING/FROM, an unqualified column may belong to another table, so only qualified ones count.
        var alone = !statement.TryGetProperty("usingClause", out _) && !statement.TryGetProperty("fromClause", out _);
        var target = new WriteTarget(
            relation.TryGetProperty("alias", out var alias) ? GetString(alias, "aliasname") : null,
            GetString(relation, "relname"),
            alone);
        return IsBounding(where, target);
    }

    private static bool IsBounding(JsonElement condition, WriteTarget target)
    {
        if (!TryGetNode(condition, out var type, out var body))
        {
            return false;
        }

        if (type.SequenceEqual("CurrentOfExpr"u8))
        {
            return true;
        }

        if (type.SequenceEqual("BoolExpr"u8))
        {
            if (!body.TryGetProperty("args", out var args) || args.ValueKind != JsonValueKind.Array || args.GetArrayLength() == 0)
            {
                return false;
            }

            return GetString(body, "boolop") switch
            {
                "AND_EXPR" => args.EnumerateArray().Any(a => IsBounding(a, target)),
                "OR_EXPR" => args.EnumerateArray().All(a => IsBounding(a, target)),
                // NOT of one comparison (NOT id = 1, NOT id IS NULL); NOT over AND/OR is not reasoned about.
                "NOT_EXPR" => args.GetArrayLength() == 1 && TryGetNode(args[0], out var inner, out _) && !inner.SequenceEqual("BoolExpr"u8) && IsBounding(args[0], target),
                _ => false,
            };
        }

        if (type.SequenceEqual("NullTest"u8))
        {
            return body.TryGetProperty("arg", out var argument) && TargetColumn(argument, target) is not null;
        }

        if (type.SequenceEqual("SubLink"u8))
        {
            return GetString(body, "subLinkType") == "ANY_SUBLINK"
                && body.TryGetProperty("testexpr", out var test) && TargetColumn(test, target) is { } column
                && body.TryGetProperty("subselect", out var subselect) && !References(subselect, column, target);
        }

        if (!type.SequenceEqual("A_Expr"u8) || !IsComparison(body, out var symmetric)
            || !body.TryGetProperty("lexpr", out var left) || !body.TryGetProperty("rexpr", out var right))
        {
            return false;
        }

        return (TargetColumn(left, target) is { } l && !References(right, l, target))
            || (symmetric && TargetColumn(right, target) is { } r && !References(left, r, target));
    }

    /// <summary>Comparison expressions that select rows by a column; <paramref name="symmetric"/> when the column may stand on either side.</summary>
    private static bool IsComparison(JsonElement expression, out bool symmetric)
    {
        var kind = GetString(expression, "kind");
        symmetric = kind is "AEXPR_OP" or "AEXPR_DISTINCT" or "AEXPR_NOT_DISTINCT";
        if (kind != "AEXPR_OP")
        {
            return kind is "AEXPR_OP_ANY" or "AEXPR_OP_ALL" or "AEXPR_IN" or "AEXPR_LIKE" or "AEXPR_ILIKE" or "AEXPR_SIMILAR"
                or "AEXPR_BETWEEN" or "AEXPR_NOT_BETWEEN" or "AEXPR_BETWEEN_SYM" or "AEXPR_NOT_BETWEEN_SYM" or "AEXPR_DISTINCT" or "AEXPR_NOT_DISTINCT";
        }

        return expression.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.Array && name.GetArrayLength() == 1
            && TryGetNode(name[0], out _, out var op)
            && GetString(op, "sval") is "=" or "<" or ">" or "<=" or ">=" or "<>" or "!=" or "~~" or "~~*" or "!~~" or "!~~*";
    }

    /// <summary>The column name when <paramref name="expression"/> is (a cast of) a column of the written table.</summary>
    private static string? TargetColumn(JsonElement expression, WriteTarget target)
    {
        if (!TryGetNode(expression, out var type, out var body))
        {
            return null;
        }

        if ((type.SequenceEqual("TypeCast"u8) || type.SequenceEqual("CollateClause"u8)) && body.TryGetProperty("arg", out var argument))
        {
            return TargetColumn(argument, target);
        }

        if (!type.SequenceEqual("ColumnRef"u8) || !body.TryGetProperty("fields", out var fields) || fields.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        var count = fields.GetArrayLength();
        var column = FieldName(fields[count - 1]);
        var qualifier = count >= 2 ? FieldName(fields[count - 2]) : null;
        return column is null ? null
            : count == 1 ? (target.Alone ? column : null)
            : target.IsQualifier(qualifier) ? column
            : null;
    }

    /// <summary>Whether <paramref name="tree"/> mentions <paramref name="column"/> of the written table, unqualified (possibly it) or qualified by it.</summary>
    private static bool References(JsonElement tree, string column, WriteTarget target)
    {
        if (tree.ValueKind == JsonValueKind.Array)
        {
            return tree.EnumerateArray().Any(item => References(item, column, target));
        }

        if (tree.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        if (TryGetNode(tree, out var type, out var body) && type.SequenceEqual("ColumnRef"u8)
            && body.TryGetProperty("fields", out var fields) && fields.ValueKind == JsonValueKind.Array && fields.GetArrayLength() > 0)
        {
            var count = fields.GetArrayLength();
            var last = fields[count - 1];
            var name = FieldName(last);
            var star = TryGetNode(last, out var lastType, out _) && lastType.SequenceEqual("A_Star"u8);
            return (name == column || star) && (count == 1 || target.IsQualifier(FieldName(fields[count - 2])));
        }

        foreach (var property in tree.EnumerateObject())
        {
            if (References(property.Value, column, target))
            {
                return true;
            }
        }

        return false;
    }

    private static string? FieldName(JsonElement field) =>
        TryGetNode(field, out var type, out var body) && type.SequenceEqual("String"u8) ? GetString(body, "sval") : null;

    /// <summary>The written table as column references may name it: its alias if it has one (which hides the name), else its name.</summary>
    private readonly record struct WriteTarget(string? Alias, string? Name, bool Alone)
    {
        public bool IsQualifier(string? qualifier) => qualifier is not null && qualifier == (Alias ?? Name);
    }
}
