using System.Text.Json;

namespace OrleansGate.Policy.Masking;

/// <summary>Queries: SELECT (plain, VALUES, set operations), their WITH clauses, target lists and predicates.</summary>
internal sealed partial class MaskWalker
{
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
