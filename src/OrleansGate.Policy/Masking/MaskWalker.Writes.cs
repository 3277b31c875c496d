using System.Text.Json;

namespace OrleansGate.Policy.Masking;

/// <summary>INSERT, UPDATE, DELETE and MERGE: the values they write, their predicates, and RETURNING.</summary>
internal sealed partial class MaskWalker
{
    private QueryShape Insert(JsonElement body, MaskScope? outer)
    {
        var scope = new MaskScope(outer);
        With(body, scope);
        WrittenRelation(body, scope, out var into);
        var source = TryGet(body, "selectStmt", out var select) ? Query(select, scope).All() : null;
        CheckWrite(source, "INSERT", into);

        if (TryGet(body, "onConflictClause", out var conflict))
        {
            var conflictScope = new MaskScope(scope);
            conflictScope.Items.Add(FromItem.Opaque("excluded", source));
            CheckWrite(SetValues(conflict, conflictScope), "INSERT … ON CONFLICT", into);
            Predicates(conflict, conflictScope, "whereClause", "infer");
        }

        return Targets(body, "returningList", scope);
    }

    private QueryShape Update(JsonElement body, MaskScope? outer)
    {
        var scope = new MaskScope(outer);
        With(body, scope);
        WrittenRelation(body, scope, out var into);
        From(body, "fromClause", scope);
        CheckWrite(SetValues(body, scope), "UPDATE", into);
        Predicates(body, scope, "whereClause");
        return Targets(body, "returningList", scope);
    }

    private QueryShape Delete(JsonElement body, MaskScope? outer)
    {
        var scope = new MaskScope(outer);
        With(body, scope);
        WrittenRelation(body, scope, out _);
        From(body, "usingClause", scope);
        Predicates(body, scope, "whereClause");
        return Targets(body, "returningList", scope);
    }

    private QueryShape Merge(JsonElement body, MaskScope? outer)
    {
        var scope = new MaskScope(outer);
        With(body, scope);
        WrittenRelation(body, scope, out var into);
        if (TryGet(body, "sourceRelation", out var source))
        {
            FromNode(source, scope);
        }

        Predicates(body, scope, "joinCondition");
        if (TryGet(body, "mergeWhenClauses", out var clauses) && clauses.ValueKind == JsonValueKind.Array)
        {
            foreach (var clause in clauses.EnumerateArray())
            {
                if (TryGetNode(clause, out _, out var when))
                {
                    Predicates(when, scope, "condition");
                    var values = TryGet(when, "values", out var inserted) ? Expression(inserted, scope, predicate: false) : null;
                    CheckWrite(Taint.Union(values, SetValues(when, scope)), "MERGE", into);
                }
            }
        }

        return QueryShape.Empty;
    }

    /// <summary>The taint of the values a SET list (or ON CONFLICT DO UPDATE SET) assigns.</summary>
    private Taint? SetValues(JsonElement body, MaskScope scope)
    {
        Taint? union = null;
        if (TryGet(body, "targetList", out var targets) && targets.ValueKind == JsonValueKind.Array)
        {
            foreach (var target in targets.EnumerateArray())
            {
                if (TryGetNode(target, out _, out var resTarget) && TryGet(resTarget, "val", out var value))
                {
                    union = Taint.Union(union, Expression(value, scope, predicate: false));
                }
            }
        }

        return union;
    }

    /// <summary>The relation a DML statement writes, added to its scope (RETURNING and WHERE read it).</summary>
    private void WrittenRelation(JsonElement body, MaskScope scope, out string name)
    {
        if (!TryGet(body, "relation", out var relation))
        {
            name = "a relation";
            scope.Items.Add(FromItem.Opaque(null, AnyMask()));
            return;
        }

        name = RelationName(relation);
        var relname = GetString(relation, "relname") ?? "";
        scope.Items.Add(FromItem.Relation(
            AliasName(relation) ?? relname, MaskedColumns(GetString(relation, "schemaname"), relname), renamed: false));
    }
}
