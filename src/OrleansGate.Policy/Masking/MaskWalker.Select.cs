using System.Text.Json;

namespace OrleansGate.Policy.Masking;

/// <summary>Queries: SELECT (plain, VALUES, set operations), their WITH, FROM and target lists.</summary>
internal sealed partial class MaskWalker
{
    // Catalogs that hold samples of column values (most common values, histogram bounds).
    private static readonly HashSet<string> StatisticsCatalogs = new(StringComparer.Ordinal)
    {
        "pg_stats", "pg_stats_ext", "pg_stats_ext_exprs", "pg_statistic", "pg_statistic_ext_data",
    };

    /// <summary>The output shape of a query node (a SELECT, or a DML statement's RETURNING).</summary>
    private QueryShape Query(string type, JsonElement body, MaskScope? outer) => type switch
    {
        "SelectStmt" => Select(body, outer),
        "InsertStmt" => Insert(body, outer),
        "UpdateStmt" => Update(body, outer),
        "DeleteStmt" => Delete(body, outer),
        "MergeStmt" => Merge(body, outer),
        _ => QueryShape.Opaque(AnyMask()),
    };

    private QueryShape Query(JsonElement node, MaskScope? outer) =>
        TryGetNode(node, out var type, out var body) ? Query(type, body, outer) : QueryShape.Opaque(AnyMask());

    private QueryShape Select(JsonElement body, MaskScope? outer)
    {
        EnsureStack();
        var scope = new MaskScope(outer);
        With(body, scope);

        QueryShape shape;
        if (GetString(body, "op") is { } op && op != "SETOP_NONE")
        {
            shape = SetOperation(body, scope);
        }
        else if (TryGet(body, "valuesLists", out var rows))
        {
            shape = Values(rows, scope);
        }
        else
        {
            From(body, "fromClause", scope);
            shape = Targets(body, "targetList", scope);
            Predicates(body, scope, "whereClause", "havingClause", "windowClause");
        }

        OutputPredicates(body, shape, scope, "groupClause", "sortClause", "distinctClause");
        Predicates(body, scope, "limitCount", "limitOffset");
        if (TryGet(body, "intoClause", out var into))
        {
            CheckWrite(shape.All(), "SELECT INTO", RelationName(TryGet(into, "rel", out var rel) ? rel : into));
        }

        return shape;
    }

    private void Predicates(JsonElement body, MaskScope scope, params ReadOnlySpan<string> fields)
    {
        foreach (var field in fields)
        {
            if (TryGet(body, field, out var value))
            {
                Expression(value, scope, predicate: true);
            }
        }
    }

    /// <summary>GROUP BY, ORDER BY, DISTINCT ON: a position number or an output name refers to a result column.</summary>
    private void OutputPredicates(JsonElement body, QueryShape shape, MaskScope scope, params ReadOnlySpan<string> fields)
    {
        foreach (var field in fields)
        {
            if (!TryGet(body, field, out var list) || list.ValueKind != JsonValueKind.Array)
            {
                continue;
            }

            foreach (var entry in list.EnumerateArray())
            {
                var item = TryGetNode(entry, out var type, out var sortBy) && type == "SortBy" && TryGet(sortBy, "node", out var node)
                    ? node : entry;
                if (TryGetNode(item, out var itemType, out var itemBody))
                {
                    if (itemType == "A_Const" && TryGet(itemBody, "ival", out var ival))
                    {
                        var position = TryGet(ival, "ival", out var number) && number.TryGetInt32(out var n) ? n : 0;
                        CheckPredicate(shape.At(position - 1));
                    }
                    else if (itemType == "ColumnRef" && TryGet(itemBody, "fields", out var names) && Strings(names) is [var name])
                    {
                        CheckPredicate(shape.Column(name));
                    }
                }

                Expression(entry, scope, predicate: true);
            }
        }
    }

    /// <summary>UNION, INTERSECT, EXCEPT: the server ties no result column to a table, so every taint is derived.</summary>
    private QueryShape SetOperation(JsonElement body, MaskScope scope)
    {
        var left = TryGet(body, "larg", out var larg) ? Select(larg, scope) : QueryShape.Opaque(AnyMask());
        var right = TryGet(body, "rarg", out var rarg) ? Select(rarg, scope) : QueryShape.Opaque(AnyMask());
        var leftColumns = left.Positional();
        var rightColumns = right.Positional();
        if (leftColumns is null || rightColumns is null)
        {
            return QueryShape.Opaque(Taint.Derive(Taint.Union(left.All(), right.All())));
        }

        var names = left.Names()!;
        var outputs = new List<QueryShape.Output>(leftColumns.Count);
        for (var i = 0; i < Math.Max(leftColumns.Count, rightColumns.Count); i++)
        {
            var taint = Taint.Union(i < leftColumns.Count ? leftColumns[i] : null, i < rightColumns.Count ? rightColumns[i] : null);
            outputs.Add(new QueryShape.Output(i < names.Count ? names[i] : null, Taint.Derive(taint), null));
        }

        return new QueryShape(outputs);
    }

    private QueryShape Values(JsonElement rows, MaskScope scope)
    {
        var taints = new List<Taint?>();
        foreach (var row in rows.EnumerateArray())
        {
            var items = TryGetNode(row, out _, out var list) && TryGet(list, "items", out var values) ? values : row;
            var i = 0;
            foreach (var value in items.EnumerateArray())
            {
                var taint = Taint.Derive(Expression(value, scope, predicate: false));
                if (i == taints.Count)
                {
                    taints.Add(taint);
                }
                else
                {
                    taints[i] = Taint.Union(taints[i], taint);
                }

                i++;
            }
        }

        return new QueryShape(taints.Select((t, i) => new QueryShape.Output($"column{i + 1}", t, null)).ToList());
    }

    private void With(JsonElement body, MaskScope scope)
    {
        if (!TryGet(body, "withClause", out var with) || !TryGet(with, "ctes", out var ctes))
        {
            return;
        }

        var definitions = new List<(string Name, List<string> Columns, JsonElement Query)>();
        foreach (var cte in ctes.EnumerateArray())
        {
            if (TryGetNode(cte, out _, out var definition) && GetString(definition, "ctename") is { } name
                && TryGet(definition, "ctequery", out var query))
            {
                var columns = TryGet(definition, "aliascolnames", out var aliases) ? Strings(aliases) : [];
                definitions.Add((name, columns, query));
            }
        }

        if (!GetBool(with, "recursive"))
        {
            foreach (var (name, columns, query) in definitions)
            {
                scope.SetCte(name, Query(query, scope).Rename(columns));
            }

            return;
        }

        // WITH RECURSIVE: any CTE may refer to any other. Start clean and repeat until no CTE gains a mask; a CTE that
        // carries one counts it on every output (its rows come from a set operation the server ties to no table).
        foreach (var definition in definitions)
        {
            scope.SetCte(definition.Name, QueryShape.Empty);
        }

        var known = new int[definitions.Count];
        for (var pass = 0; pass <= definitions.Count + 1; pass++)
        {
            var changed = false;
            for (var i = 0; i < definitions.Count; i++)
            {
                var (name, columns, query) = definitions[i];
                var shape = Query(query, scope).Rename(columns);
                var all = shape.All();
                var count = all?.Masks.Count ?? 0;
                changed |= count != known[i];
                known[i] = count;
                scope.SetCte(name, all is null ? shape : QueryShape.Opaque(Taint.Derive(all)));
            }

            if (!changed && pass > 0)
            {
                break;
            }
        }
    }

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
                Taint? taint = null;
                foreach (var side in sides)
                {
                    taint = Taint.Union(taint, side.Column(column));
                }

                CheckPredicate(taint);
                merged.Add(new QueryShape.Output(column, Taint.Derive(taint), null));
            }
        }

        // NATURAL joins on every column name the sides share; which those are is not known here, so every masked one counts.
        if (GetBool(body, "isNatural"))
        {
            Taint? taint = null;
            foreach (var side in sides)
            {
                taint = Taint.Union(taint, side.WholeRow());
            }

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
    private IReadOnlyDictionary<string, Model.PolicyMask>? MaskedColumns(string? schema, string relation)
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

    /// <summary>A target list (or RETURNING): one output per target, a <c>*</c> expanding FROM items.</summary>
    private QueryShape Targets(JsonElement body, string field, MaskScope scope)
    {
        var outputs = new List<QueryShape.Output>();
        if (!TryGet(body, field, out var targets) || targets.ValueKind != JsonValueKind.Array)
        {
            return new QueryShape(outputs);
        }

        foreach (var target in targets.EnumerateArray())
        {
            if (!TryGetNode(target, out _, out var resTarget) || !TryGet(resTarget, "val", out var value))
            {
                continue;
            }

            var alias = GetString(resTarget, "name");
            if (TryGetNode(value, out var type, out var reference) && type == "ColumnRef")
            {
                if (Star(reference, scope) is { } expanded)
                {
                    outputs.AddRange(expanded.Select(static item => new QueryShape.Output(null, null, item)));
                    continue;
                }

                // A bare reference keeps its derivation: the server ties it to the table column.
                outputs.Add(new QueryShape.Output(alias ?? OutputName(value), ColumnRef(reference, scope), null));
            }
            else
            {
                outputs.Add(new QueryShape.Output(alias ?? OutputName(value), Taint.Derive(Expression(value, scope, predicate: false)), null));
            }
        }

        return new QueryShape(outputs);
    }

    /// <summary>The items a top-level <c>*</c> or <c>t.*</c> expands, or null when the reference is not a star.</summary>
    private List<FromItem>? Star(JsonElement reference, MaskScope scope)
    {
        if (!TryGet(reference, "fields", out var fields) || fields.ValueKind != JsonValueKind.Array
            || fields.GetArrayLength() == 0 || !TryGetNode(fields[fields.GetArrayLength() - 1], out var last, out _)
            || last != "A_Star")
        {
            return null;
        }

        var qualifier = Strings(fields);
        if (qualifier.Count == 0)
        {
            return [.. scope.Items];
        }

        return [scope.FindItem(qualifier[^1]) ?? FromItem.Opaque(null, AnyMask())];
    }
}
