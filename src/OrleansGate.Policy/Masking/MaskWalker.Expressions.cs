using System.Text.Json;
using OrleansGate.Policy.Classification;

namespace OrleansGate.Policy.Masking;

/// <summary>Value flow through expressions, and column references resolved against the FROM items in scope.</summary>
internal sealed partial class MaskWalker
{
    // Built-ins that carry their arguments somewhere other than the result rows: a setting read back by SHOW, a
    // notification payload, a large object, another server.
    private static readonly HashSet<string> SideChannels = new(StringComparer.Ordinal)
    {
        "set_config", "pg_notify", "lo_from_bytea", "lo_put", "lowrite", "pg_logical_emit_message",
        "dblink", "dblink_exec", "dblink_send_query", "dblink_open",
    };

    /// <summary>
    /// The taint an expression's value may carry. Every object and array is visited; <paramref name="predicate"/> says
    /// whether references here decide which rows come back or their order (checked against predicates: deny).
    /// </summary>
    private Taint? Expression(JsonElement element, MaskScope scope, bool predicate)
    {
        if (element.ValueKind == JsonValueKind.Array)
        {
            Taint? union = null;
            foreach (var item in element.EnumerateArray())
            {
                union = Taint.Union(union, Expression(item, scope, predicate));
            }

            return union;
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        EnsureStack();
        if (!TryGetNode(element, out var type, out var body))
        {
            return Properties(element, scope, predicate);
        }

        switch (type)
        {
            case "A_Const":
                return null;
            case "ColumnRef":
                var reference = ColumnRef(body, scope);
                if (predicate)
                {
                    CheckPredicate(reference);
                }

                return reference;
            case "SubLink":
                return SubLink(body, scope, predicate);
            case "FuncCall":
                return FuncCall(body, scope, predicate);
            case "SelectStmt" or "InsertStmt" or "UpdateStmt" or "DeleteStmt" or "MergeStmt":
                var all = Query(type, body, scope).All();
                if (predicate)
                {
                    CheckPredicate(all);
                }

                return Taint.Derive(all);
            default:
                return Properties(body, scope, predicate);
        }
    }

    private Taint? Properties(JsonElement body, MaskScope scope, bool predicate)
    {
        Taint? union = null;
        foreach (var property in body.EnumerateObject())
        {
            union = Taint.Union(union, Expression(property.Value, scope, predicate));
        }

        return union;
    }

    /// <summary>A subquery's outputs flow into the value; inside a predicate, they are predicates too.</summary>
    private Taint? SubLink(JsonElement body, MaskScope scope, bool predicate)
    {
        var test = TryGet(body, "testexpr", out var testExpression) ? Expression(testExpression, scope, predicate) : null;
        var outputs = TryGet(body, "subselect", out var subselect) ? Expression(subselect, scope, predicate) : null;
        return Taint.Derive(Taint.Union(test, outputs));
    }

    /// <summary>
    /// A function call: its arguments flow into its value. An aggregate's FILTER and ORDER BY and a window's
    /// PARTITION BY and ORDER BY are predicates, and flow into the value as well (rank() OVER (ORDER BY email)).
    /// </summary>
    private Taint? FuncCall(JsonElement body, MaskScope scope, bool predicate)
    {
        Taint? union = null;
        foreach (var property in body.EnumerateObject())
        {
            var isPredicate = predicate || property.NameEquals("agg_filter") || property.NameEquals("agg_order")
                || property.NameEquals("over");
            union = Taint.Union(union, Expression(property.Value, scope, isPredicate));
        }

        var name = TryGet(body, "funcname", out var funcname) ? Strings(funcname) : [];
        if (union is not null && name.Count > 0 && SideChannels.Contains(name[^1]))
        {
            CheckWrite(union, name[^1] + "()", "a channel the relay does not mask");
        }

        // A function that is not built in runs code this analysis cannot see, which may read a masked column.
        if (!BuiltinFunctions.IsBuiltin(name))
        {
            union = Taint.Union(union, AnyMask());
        }

        return Taint.Derive(union);
    }

    /// <summary>
    /// Resolves <c>col</c>, <c>t.col</c>, <c>s.t.col</c>, <c>*</c> and <c>t.*</c>. What cannot be placed is
    /// matched against every masked relation.
    /// </summary>
    private Taint? ColumnRef(JsonElement body, MaskScope scope)
    {
        var names = new List<string>(3);
        var star = false;
        if (TryGet(body, "fields", out var fields))
        {
            foreach (var field in fields.EnumerateArray())
            {
                if (TryGetNode(field, out var type, out var value))
                {
                    if (type == "String")
                    {
                        names.Add(GetString(value, "sval") ?? "");
                    }
                    else
                    {
                        star |= type == "A_Star";
                    }
                }
            }
        }

        if (star)
        {
            return Taint.Derive(WholeRows(names, scope));
        }

        if (names.Count == 1)
        {
            return Unqualified(names[0], scope);
        }

        if (names.Count == 0)
        {
            return AnyMask();
        }

        var column = names[^1];
        if (scope.FindItem(names[^2]) is { } item)
        {
            return item.Column(column);
        }

        // Not a FROM item: excluded.col, a record variable's field, or a name the server will reject.
        var fallback = Taint.Union(Taint.OfAny(_relations.AnyColumnNamed(column)), Unqualified(names[^2], scope));
        Touches |= fallback is not null;
        return Taint.Derive(fallback);
    }

    /// <summary>
    /// An unqualified name: a column of any item in scope (this level and the enclosing ones), or a whole-row
    /// reference to an item of that reference name.
    /// </summary>
    private static Taint? Unqualified(string name, MaskScope scope)
    {
        Taint? union = null;
        foreach (var item in scope.Visible())
        {
            union = Taint.Union(union, item.Column(name));
            if (item.Name == name)
            {
                union = Taint.Union(union, Taint.Derive(item.WholeRow()));
            }
        }

        return union;
    }

    /// <summary><c>*</c> (every item of this level) or <c>t.*</c> inside an expression: whole rows.</summary>
    private Taint? WholeRows(List<string> qualifier, MaskScope scope)
    {
        if (qualifier.Count == 0)
        {
            return Taint.Union(scope.Items.Select(static item => item.WholeRow()));
        }

        return scope.FindItem(qualifier[^1]) is { } found ? found.WholeRow() : AnyMask();
    }

    /// <summary>
    /// The name the server gives an output without an alias, for the forms whose name a query over it is likely to
    /// use; null where not worked out here (an output of unknown name may then be referred to by any name).
    /// </summary>
    private static string? OutputName(JsonElement value)
    {
        if (!TryGetNode(value, out var type, out var body))
        {
            return null;
        }

        return type switch
        {
            "ColumnRef" => TryGet(body, "fields", out var fields) && Strings(fields) is { Count: > 0 } names ? names[^1] : null,
            "FuncCall" => TryGet(body, "funcname", out var function) && Strings(function) is { Count: > 0 } names ? names[^1] : null,
            "TypeCast" => TryGet(body, "arg", out var argument) ? OutputName(argument) : null,
            "CollateClause" => TryGet(body, "arg", out var collated) ? OutputName(collated) : null,
            "A_Indirection" => TryGet(body, "indirection", out var path) && Strings(path) is { Count: > 0 } members ? members[^1] : null,
            "A_Expr" => GetString(body, "kind") == "AEXPR_NULLIF" ? "nullif" : "?column?",
            "A_Const" or "NullTest" or "BooleanTest" or "BoolExpr" or "ParamRef" => "?column?",
            "SubLink" => GetString(body, "subLinkType") switch
            {
                "EXISTS_SUBLINK" => "exists",
                "ARRAY_SUBLINK" => "array",
                _ => null,
            },
            "CaseExpr" => "case",
            "CoalesceExpr" => "coalesce",
            "A_ArrayExpr" => "array",
            "RowExpr" => "row",
            _ => null,
        };
    }
}
