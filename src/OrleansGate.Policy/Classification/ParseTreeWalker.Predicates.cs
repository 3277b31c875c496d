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
    /// Best effort: WHERE true, WHERE 1 = 1, and ORs containing either. Not a proof that a WHERE bounds
    /// anything. Where the answer hangs on a constant (or a parameter, which normalizes alike), the
    /// statement is marked literal-sensitive.
    /// </summary>
    private bool IsTriviallyTrue(JsonElement condition)
    {
        if (!TryGetNode(condition, out var type, out var body))
        {
            return false;
        }

        if (IsConstantOrParameter(type))
        {
            _literalSensitive = true;
            return type.SequenceEqual("A_Const"u8) && body.TryGetProperty("boolval", out var boolean) && GetBool(boolean, "boolval");
        }

        if (type.SequenceEqual("A_Expr"u8))
        {
            if (GetString(body, "kind") != "AEXPR_OP" || !IsEqualsOperator(body)
                || !body.TryGetProperty("lexpr", out var left) || !body.TryGetProperty("rexpr", out var right)
                || !TryGetNode(left, out var leftType, out _) || !TryGetNode(right, out var rightType, out _)
                || !IsConstantOrParameter(leftType) || !IsConstantOrParameter(rightType))
            {
                return false;
            }

            _literalSensitive = true;
            return ConstantText(left) is { } l && l == ConstantText(right);
        }

        if (type.SequenceEqual("BoolExpr"u8) && GetString(body, "boolop") == "OR_EXPR" && body.TryGetProperty("args", out var args))
        {
            foreach (var argument in args.EnumerateArray())
            {
                if (IsTriviallyTrue(argument))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool IsConstantOrParameter(ReadOnlySpan<byte> type) =>
        type.SequenceEqual("A_Const"u8) || type.SequenceEqual("ParamRef"u8);

    private static bool IsEqualsOperator(JsonElement expression) =>
        expression.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.Array && name.GetArrayLength() == 1
        && TryGetNode(name[0], out _, out var op) && GetString(op, "sval") == "=";

    /// <summary>The value of an A_Const without its location, for comparing two constants.</summary>
    private static string? ConstantText(JsonElement node)
    {
        if (!TryGetNode(node, out var type, out var body) || !type.SequenceEqual("A_Const"u8))
        {
            return null;
        }

        foreach (var property in body.EnumerateObject())
        {
            if (!property.NameEquals("location"))
            {
                return property.Name + property.Value.GetRawText();
            }
        }

        return null;
    }
}
