using System.Text.Json;

namespace OrleansGate.Policy.Classification;

/// <summary>Statement nodes: their kinds, their target relations, and the statements nested in them.</summary>
internal sealed partial class ParseTreeWalker
{
    private void VisitStatement(string type, JsonElement body)
    {
        switch (type)
        {
            case "SelectStmt":
                VisitSelect(body);
                return;
            case "InsertStmt" or "UpdateStmt" or "DeleteStmt" or "MergeStmt":
                VisitModify(type, body);
                return;
            case "CopyStmt":
                VisitCopy(body);
                return;
            case "ExplainStmt":
                VisitExplain(body);
                return;
            case "VariableSetStmt":
                AddKinds(VariableSetKinds(body));
                CheckLexicalSetting(body);
                break;
            case "TransactionStmt":
                AddKinds(GetString(body, "kind") is "TRANS_STMT_PREPARE" or "TRANS_STMT_COMMIT_PREPARED" or "TRANS_STMT_ROLLBACK_PREPARED"
                    // A prepared transaction outlives the session and keeps its locks.
                    ? StatementKind.Transaction | StatementKind.Admin
                    : StatementKind.Transaction);
                break;
            case "DiscardStmt":
                // DISCARD ALL includes RESET ALL and SET SESSION AUTHORIZATION DEFAULT.
                AddKinds(GetString(body, "target") == "DISCARD_ALL"
                    ? StatementKind.RoleChange | StatementKind.Session
                    : StatementKind.Session);
                break;
            case "DropStmt":
                VisitDrop(body);
                break;
            case "AlterTableStmt":
                AddKinds(AlterTableKinds(body));
                break;
            case "CreateTableAsStmt":
                AddKinds(StatementKind.Ddl | StatementKind.Write);
                break;
            case "TruncateStmt":
                // Every row, like a DELETE without WHERE.
                MarkUnboundedWrite();
                break;
            case "CallStmt":
                // The procedure is a bare FuncCall, which the generic walk would not recognise.
                if (body.TryGetProperty("funccall", out var call) && call.ValueKind == JsonValueKind.Object)
                {
                    VisitFuncCall(call);
                }

                break;
        }

        if (StatementRules.Kinds.TryGetValue(type, out var kinds))
        {
            AddKinds(kinds);
        }
        else if (!StatementRules.Special.Contains(type))
        {
            AddKinds(StatementKind.Other);
        }

        WalkStatementFields(type, body);
    }

    /// <summary>Walks every field of a statement; relations in its target fields are written (locked for LOCK).</summary>
    private void WalkStatementFields(string type, JsonElement body)
    {
        StatementRules.WriteTargets.TryGetValue(type, out var targets);
        foreach (var property in body.EnumerateObject())
        {
            if (property.NameEquals("funccall") && type == "CallStmt")
            {
                continue;
            }

            var use = targets is not null && targets.Contains(property.Name) ? RelationUse.Write
                : type == "LockStmt" && property.NameEquals("relations") ? RelationUse.Lock
                : RelationUse.Read;
            Walk(property.Value, use);
        }
    }

    private void VisitSelect(JsonElement body)
    {
        AddKinds(StatementKind.Read);
        var pushed = EnterWith(body);

        var fromUse = RelationUse.Read;
        if (body.TryGetProperty("lockingClause", out var locking))
        {
            // Row locks block writers; PostgreSQL asks for UPDATE privilege for FOR UPDATE as well.
            AddKinds(StatementKind.Lock);
            if (!HasLockedRelationList(locking))
            {
                fromUse = RelationUse.ReadAndLock;
            }
        }

        foreach (var property in body.EnumerateObject())
        {
            if (property.NameEquals("withClause"))
            {
                continue;
            }

            if (property.NameEquals("intoClause"))
            {
                // SELECT … INTO creates a table and fills it.
                AddKinds(StatementKind.Write | StatementKind.Ddl);
                Walk(property.Value, RelationUse.Write);
            }
            else if (property.NameEquals("larg") || property.NameEquals("rarg"))
            {
                // The branches of UNION/INTERSECT/EXCEPT are bare SelectStmts.
                VisitSelect(property.Value);
            }
            else
            {
                Walk(property.Value, property.NameEquals("fromClause") ? fromUse
                    : property.NameEquals("lockingClause") ? RelationUse.Lock
                    : RelationUse.Read);
            }
        }

        ExitWith(pushed);
    }

    private static bool HasLockedRelationList(JsonElement lockingClauses)
    {
        if (lockingClauses.ValueKind != JsonValueKind.Array)
        {
            return false;
        }

        foreach (var clause in lockingClauses.EnumerateArray())
        {
            if (TryGetNode(clause, out _, out var body) && body.TryGetProperty("lockedRels", out _))
            {
                return true;
            }
        }

        return false;
    }

    private void VisitModify(string type, JsonElement body)
    {
        AddKinds(StatementKind.Write);
        var pushed = EnterWith(body);

        if (type is "UpdateStmt" or "DeleteStmt" && !HasBoundingWhere(body))
        {
            MarkUnboundedWrite();
        }

        foreach (var property in body.EnumerateObject())
        {
            if (property.NameEquals("withClause"))
            {
                continue;
            }

            Walk(property.Value, property.NameEquals("relation") ? RelationUse.Write : RelationUse.Read);
        }

        ExitWith(pushed);
    }

    private void VisitCopy(JsonElement body)
    {
        var isFrom = GetBool(body, "is_from");
        if (body.TryGetProperty("query", out _))
        {
            // COPY (query) TO: the query runs, whatever it is (DELETE … RETURNING included).
            AddKinds(StatementKind.Read);
        }
        else
        {
            AddKinds(isFrom ? StatementKind.Write : StatementKind.Read);
        }

        // No filename means STDIN/STDOUT; anything else is a server file or a shell command.
        if (body.TryGetProperty("filename", out _))
        {
            AddKinds(StatementKind.Admin);
            Add(ref _groups, GetBool(body, "is_program") ? DangerousFunctionGroups.Program : DangerousFunctionGroups.FileAccess);
        }

        foreach (var property in body.EnumerateObject())
        {
            Walk(property.Value, property.NameEquals("relation") && isFrom ? RelationUse.Write : RelationUse.Read);
        }
    }

    private void VisitExplain(JsonElement body)
    {
        AddKinds(StatementKind.Read);
        if (!body.TryGetProperty("query", out var query))
        {
            return;
        }

        if (IsAnalyze(body))
        {
            // EXPLAIN ANALYZE runs the statement: it is that statement.
            Walk(query, RelationUse.Read);
            return;
        }

        _planOnlyDepth++;
        try
        {
            Walk(query, RelationUse.Read);
        }
        finally
        {
            _planOnlyDepth--;
        }
    }

    private static StatementKind VariableSetKinds(JsonElement body)
    {
        var kind = GetString(body, "kind");
        if (kind == "VAR_RESET_ALL")
        {
            return StatementKind.RoleChange | StatementKind.Session;
        }

        var name = GetString(body, "name")?.ToLowerInvariant() ?? "";
        return name switch
        {
            "role" or "session_authorization" => StatementKind.RoleChange,
            // SET TRANSACTION …, SET TRANSACTION SNAPSHOT …
            _ when kind == "VAR_SET_MULTI" && name.StartsWith("transaction", StringComparison.Ordinal) => StatementKind.Transaction,
            // Turns off triggers and foreign-key enforcement for the session.
            "session_replication_role" => StatementKind.Admin | StatementKind.Session,
            // The classifier always lexes with standard_conforming_strings on; with it off the server would
            // read 'a\'…' differently and could see statements the classifier saw as string content.
            "standard_conforming_strings" or "backslash_quote" => StatementKind.Admin | StatementKind.Session,
            _ => StatementKind.Session,
        };
    }

    /// <summary>
    /// SET (LOCAL) client_encoding / SET NAMES / SET standard_conforming_strings to a value is refused by the gateway.
    /// RESET, SET … TO DEFAULT and RESET ALL return to the session's startup values, which the gateway pins.
    /// </summary>
    private void CheckLexicalSetting(JsonElement body)
    {
        if (GetString(body, "kind") is not ("VAR_SET_DEFAULT" or "VAR_RESET" or "VAR_RESET_ALL")
            && GetString(body, "name") is { } name && LexicalSettings.IsPinned(name))
        {
            _guardRefusal ??= LexicalSettings.ChangeRefused;
        }
    }

    private static StatementKind AlterTableKinds(JsonElement body)
    {
        var kinds = StatementKind.Ddl;
        if (body.TryGetProperty("cmds", out var commands) && commands.ValueKind == JsonValueKind.Array)
        {
            foreach (var command in commands.EnumerateArray())
            {
                if (TryGetNode(command, out _, out var cmd) && GetString(cmd, "subtype") is
                    "AT_ChangeOwner" or "AT_EnableRowSecurity" or "AT_DisableRowSecurity"
                    or "AT_ForceRowSecurity" or "AT_NoForceRowSecurity")
                {
                    kinds |= StatementKind.Privilege;
                }
            }
        }

        return kinds;
    }

    private void VisitDrop(JsonElement body)
    {
        AddKinds(StatementKind.Ddl);
        var removeType = GetString(body, "removeType") ?? "";
        var whole = StatementRules.DroppedRelationTypes.Contains(removeType);
        var on = StatementRules.DroppedOnRelationTypes.Contains(removeType);
        if ((!whole && !on) || !body.TryGetProperty("objects", out var objects) || objects.ValueKind != JsonValueKind.Array)
        {
            return;
        }

        foreach (var item in objects.EnumerateArray())
        {
            if (!TryGetNode(item, out var type, out var list) || !type.SequenceEqual("List"u8) || !list.TryGetProperty("items", out var items))
            {
                continue;
            }

            var parts = new List<string>();
            foreach (var part in items.EnumerateArray())
            {
                if (TryGetNode(part, out var partType, out var partBody) && partType.SequenceEqual("String"u8) && GetString(partBody, "sval") is { } text)
                {
                    parts.Add(text);
                }
            }

            var count = on ? parts.Count - 1 : parts.Count;
            if (count > 0)
            {
                AddRelation(string.Join('.', parts.Take(count)), RelationUse.Write);
            }
        }
    }
}
