using System.Text.Json;

namespace OrleansGate.Policy.Masking;

/// <summary>Top-level statements: queries, cursors, prepared statements, EXPLAIN, writes into new objects, opaque code.</summary>
internal sealed partial class MaskWalker
{
    /// <summary>Analyses one top-level statement (the <c>stmt</c> of a RawStmt).</summary>
    /// <exception cref="InsufficientExecutionStackException">The tree nests too deeply to analyse.</exception>
    public StatementMasking Statement(JsonElement statement)
    {
        if (!TryGetNode(statement, out var type, out var body))
        {
            return NoRows();
        }

        switch (type)
        {
            case "SelectStmt" or "InsertStmt" or "UpdateStmt" or "DeleteStmt" or "MergeStmt":
                return Result(Query(type, body, null));
            case "DeclareCursorStmt":
                var cursor = Result(QueryOf(body));
                return Named(cursor, declares: GetString(body, "portalname"));
            case "PrepareStmt":
                var prepared = Result(QueryOf(body));
                return Named(prepared, prepares: GetString(body, "name"));
            // What the cursor or prepared statement reads was declared in another text: it may be masked data (an
            // error raised while fetching may quote a value), so these touch it whenever anything is masked.
            case "FetchStmt":
                return new StatementMasking { FetchesCursor = GetString(body, "portalname"), TouchesMaskedData = !_relations.IsEmpty };
            case "ExecuteStmt":
                return new StatementMasking { ExecutesName = GetString(body, "name"), TouchesMaskedData = !_relations.IsEmpty };
            case "ExplainStmt":
                return Explain(body);
            case "CopyStmt":
                return Copy(body);
            case "CreateTableAsStmt" or "ViewStmt":
                return CreateFromQuery(type, body);
            case "CallStmt":
                // A procedure is user code: its OUT parameters may carry anything it reads.
                var arguments = TryGet(body, "funccall", out var call) ? Expression(call, new MaskScope(null), predicate: false) : null;
                CheckWrite(arguments, "CALL", "a procedure");
                return new StatementMasking { AnyColumn = AnyMask()?.First, TouchesMaskedData = Touches };
            case "VariableShowStmt":
                return new StatementMasking { Columns = [null], TouchesMaskedData = Touches };
            case "DoStmt":
                Refuse(RefusalKind.Opaque, _relations.AnyMask, "DO blocks cannot be analysed for masked values; run their statements directly");
                return NoRows();
            case "CreateFunctionStmt":
                // A body in a string is not parsed here (nor is it run by CREATE); a BEGIN ATOMIC body is not analysed.
                return NoRows();
            default:
                // Any other statement that holds a query or an expression over masked data (CALL, CREATE RULE, …)
                // passes the values somewhere this analysis cannot follow.
                CheckWrite(Expression(body, new MaskScope(null), predicate: false), type, "code or objects this analysis cannot follow");
                return NoRows();
        }
    }

    private QueryShape QueryOf(JsonElement body) =>
        TryGet(body, "query", out var query) ? Query(query, null) : QueryShape.Opaque(AnyMask());

    private StatementMasking NoRows() => new() { Columns = [], TouchesMaskedData = Touches };

    private static StatementMasking Named(StatementMasking result, string? declares = null, string? prepares = null) => new()
    {
        Columns = result.Columns,
        AnyColumn = result.AnyColumn,
        TouchesMaskedData = result.TouchesMaskedData,
        DeclaresCursor = declares,
        PreparesName = prepares,
    };

    /// <summary>A query's result as the relay uses it; refuses derived columns under derived: deny.</summary>
    private StatementMasking Result(QueryShape shape)
    {
        if (shape.Positional() is { } taints)
        {
            var columns = new ColumnTaint?[taints.Count];
            for (var i = 0; i < columns.Length; i++)
            {
                CheckDerived(taints[i], $"the result column {i + 1}");
                columns[i] = taints[i]?.ToColumn();
            }

            return new StatementMasking { Columns = columns, TouchesMaskedData = Touches };
        }

        var untied = shape.Untied();
        CheckDerived(untied, "a result column");
        return new StatementMasking { AnyColumn = untied?.First, TouchesMaskedData = Touches };
    }

    /// <summary>
    /// EXPLAIN returns a plan, not values: derived outputs do not matter. Predicates still do (the plan's row estimates
    /// come from the statistics of the filtered column), and with ANALYZE the statement runs, so its writes do.
    /// </summary>
    private StatementMasking Explain(JsonElement body)
    {
        var runs = false;
        if (TryGet(body, "options", out var options) && options.ValueKind == JsonValueKind.Array)
        {
            foreach (var option in options.EnumerateArray())
            {
                if (TryGetNode(option, out _, out var element) && GetString(element, "defname") == "analyze")
                {
                    runs = DefElemBool(element) ?? true;
                }
            }
        }

        if (TryGet(body, "query", out var query))
        {
            var (wasInExplain, wasRunning) = (_inExplain, _explainRuns);
            (_inExplain, _explainRuns) = (true, runs || (wasInExplain && wasRunning));
            Statement(query);
            (_inExplain, _explainRuns) = (wasInExplain, wasRunning);
        }

        return new StatementMasking { Columns = [null], TouchesMaskedData = Touches };
    }

    /// <summary>CREATE TABLE AS, SELECT INTO's sibling CREATE MATERIALIZED VIEW, and CREATE VIEW copy (or expose) the query's values.</summary>
    private StatementMasking CreateFromQuery(string type, JsonElement body)
    {
        var into = TryGet(body, "into", out var intoClause) && TryGet(intoClause, "rel", out var rel) ? RelationName(rel)
            : TryGet(body, "view", out var view) ? RelationName(view) : "a relation";
        var statement = type == "ViewStmt" ? "CREATE VIEW"
            : GetString(body, "objtype") == "OBJECT_MATVIEW" ? "CREATE MATERIALIZED VIEW" : "CREATE TABLE AS";

        // CREATE TABLE AS EXECUTE: the prepared statement's query is not in this text.
        var source = TryGet(body, "query", out var query) && TryGetNode(query, out var queryType, out _) && queryType == "ExecuteStmt"
            ? AnyMask()
            : QueryOf(body).All();
        CheckWrite(source, statement, into);
        return NoRows();
    }

    /// <summary>A DefElem's boolean argument (none means true); null when it is not a boolean.</summary>
    private static bool? DefElemBool(JsonElement element)
    {
        if (!TryGet(element, "arg", out var arg))
        {
            return true;
        }

        if (!TryGetNode(arg, out var type, out var value))
        {
            return null;
        }

        return type switch
        {
            "Boolean" => GetBool(value, "boolval"),
            "Integer" => TryGet(value, "ival", out var number) && number.TryGetInt32(out var n) && n != 0,
            "String" => GetString(value, "sval")?.ToUpperInvariant() switch
            {
                "TRUE" or "ON" or "YES" or "1" or "T" or "Y" => true,
                "FALSE" or "OFF" or "NO" or "0" or "F" or "N" => false,
                _ => null,
            },
            _ => null,
        };
    }
}
