using System.Text.Json;
using OrleansGate.Policy.Model;

namespace OrleansGate.Policy.Masking;

/// <summary>FROM items: relations (masked by name), CTE references, subqueries, functions and joins.</summary>
internal sealed partial class MaskWalker
{
    // Catalogs that hold samples of column values (most common values, histogram bounds).
    private static readonly HashSet<string> StatisticsCatalogs = new(StringComparer.Ordinal)
    {
        "pg_stats", "pg_stats_ext", "pg_stats_ext_exprs", "pg_statistic", "pg_statistic_ext_data",
    };

    private void From(JsonElement body, string field, MaskScope scope)
    {
        if (TryGet(body, field, out var items) && items.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in items.EnumerateArray())
            {
                FromNode(item, scope);
            }
        }
    }

    /// <summary>Adds a FROM item to the scope (both sides of a join, and the join's alias if it has one).</summary>
    private void FromNode(JsonElement node, MaskScope scope)
    {
        EnsureStack();
        if (!TryGetNode(node, out var type, out var body))
        {
            scope.Items.Add(FromItem.Opaque(null, AnyMask()));
            return;
        }

        switch (type)
        {
            case "RangeVar":
                scope.Items.Add(RangeVar(body, scope));
                break;
            case "RangeSubselect":
                // Evaluated in this scope even when not LATERAL: seeing the siblings can only add taint.
                var shape = TryGet(body, "subquery", out var subquery) ? Query(subquery, scope) : QueryShape.Opaque(AnyMask());
                scope.Items.Add(FromItem.Derived(AliasName(body), shape.Rename(AliasColumns(body))));
                break;
            case "RangeFunction":
                scope.Items.Add(FromItem.Opaque(
                    AliasName(body) ?? FirstFunctionName(body),
                    Taint.Derive(TryGet(body, "functions", out var functions) ? Expression(functions, scope, predicate: false) : null)));
                break;
            case "RangeTableSample":
                if (TryGet(body, "relation", out var sampled))
                {
                    FromNode(sampled, scope);
                }

                break;
            case "JoinExpr":
                Join(body, scope);
                break;
            default:
                // XMLTABLE and what else may come: its values are not traced here.
                scope.Items.Add(FromItem.Opaque(AliasName(body), Taint.Union(AnyMask(), Expression(body, scope, predicate: false))));
                break;
        }
    }

    private void Join(JsonElement body, MaskScope scope)
    {
        var first = scope.Items.Count;
        if (TryGet(body, "larg", out var left))
        {
            FromNode(left, scope);
        }

        if (TryGet(body, "rarg", out var right))
        {
            FromNode(right, scope);
        }

        var sides = scope.Items.GetRange(first, scope.Items.Count - first);
        Predicates(body, scope, "quals");

        // A FULL JOIN's merged USING (or NATURAL) column is COALESCE(left, right): the server ties it to no table.
        var full = GetString(body, "jointype") == "JOIN_FULL";
        var merged = new List<QueryShape.Output>();
        if (TryGet(body, "usingClause", out var usingClause))
        {
            foreach (var column in Strings(usingClause))
            {
                var taint = Taint.Union(sides.Select(side => side.Column(column)));

                CheckPredicate(taint);
                merged.Add(new QueryShape.Output(column, Taint.Derive(taint), null));
            }
        }

        // NATURAL joins on every column name the sides share; which those are is not known here, so every masked one counts.
        if (GetBool(body, "isNatural"))
        {
            var taint = Taint.Union(sides.Select(static side => side.WholeRow()));

            CheckPredicate(taint);
            merged.Add(new QueryShape.Output(null, Taint.Derive(taint), null));
        }

        if (full && merged.Any(static m => m.Taint is not null))
        {
            scope.Items.Add(FromItem.Derived(null, new QueryShape(merged)));
        }

        if (AliasName(body) is { } alias)
        {
            scope.Items.Add(FromItem.Join(alias, sides));
        }
    }

    /// <summary>A relation or a CTE reference.</summary>
    private FromItem RangeVar(JsonElement body, MaskScope scope)
    {
        var schema = GetString(body, "schemaname");
        var relation = GetString(body, "relname") ?? "";
        var name = AliasName(body) ?? relation;
        var columns = AliasColumns(body);
        if (schema is null && scope.FindCte(relation) is { } cte)
        {
            return FromItem.Derived(name, cte.Rename(columns));
        }

        return FromItem.Relation(name, MaskedColumns(schema, relation), renamed: columns.Count > 0);
    }

    /// <summary>The masked columns of a relation (null when it has none); refuses the statistics catalogs.</summary>
    private IReadOnlyDictionary<string, PolicyMask>? MaskedColumns(string? schema, string relation)
    {
        if (StatisticsCatalogs.Contains(relation) && schema is null or "pg_catalog")
        {
            Refuse(RefusalKind.Opaque, _relations.AnyMask, $"{relation} and the other statistics catalogs hold samples of column values");
        }

        if (!_relations.TryGetRelation(schema, relation, out var masked))
        {
            return null;
        }

        Touches = true;
        return masked;
    }

    private static string? FirstFunctionName(JsonElement body)
    {
        if (TryGet(body, "functions", out var functions) && functions.ValueKind == JsonValueKind.Array)
        {
            foreach (var function in functions.EnumerateArray())
            {
                if (TryGetNode(function, out _, out var list) && TryGet(list, "items", out var items)
                    && items.ValueKind == JsonValueKind.Array && items.GetArrayLength() > 0)
                {
                    return OutputName(items[0]);
                }
            }
        }

        return null;
    }

    private static string RelationName(JsonElement rangeVar)
    {
        var relation = GetString(rangeVar, "relname") ?? "a relation";
        return GetString(rangeVar, "schemaname") is { } schema ? $"{schema}.{relation}" : relation;
    }
}
