using System.Collections.ObjectModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace OrleansGate.Policy.Classification;

/// <summary>
/// Walks the JSON parse tree of one statement and collects what it does. Every object and array is
/// visited, so a node in an unexpected place is still seen; only nodes recognised here add kinds, and a
/// statement node that is not recognised adds <see cref="StatementKind.Other"/>.
/// </summary>
/// <remarks>
/// libpg_query writes a field typed as a generic <c>Node</c> as <c>{"TypeName": {…}}</c>, but a field typed
/// as a specific struct (<c>RangeVar *relation</c>, <c>SelectStmt *larg</c>, <c>FuncCall *funccall</c>) bare,
/// without the type name. Bare RangeVars are recognised by their <c>relname</c>; the other bare structs
/// that matter are handled by the statement that holds them.
/// </remarks>
internal sealed partial class ParseTreeWalker
{
    private HashSet<string>? _read;
    private HashSet<string>? _written;
    private HashSet<string>? _locked;
    private HashSet<string>? _functions;
    private HashSet<string>? _groups;

    // Names of the common table expressions visible at the current point: an unqualified name among
    // them refers to the CTE, not to a relation.
    private readonly List<string> _cteNames = [];

    private StatementKind _kinds;
    private bool _unboundedWrite;

    // Set when the statement could change how the target reads statement text (LexicalSettings).
    private string? _guardRefusal;

    // Set where the result depends on a literal's value (nextval('s'), WHERE 1 = 1, EXPLAIN (ANALYZE 0)):
    // such a statement must not share a classification with others of the same normalized text.
    private bool _literalSensitive;

    // Inside EXPLAIN without ANALYZE: the inner statement is planned, not run, so it adds no kinds,
    // and every relation it names counts as read.
    private int _planOnlyDepth;

    private ParseTreeWalker()
    {
    }

    /// <summary>Classifies one top-level statement (the <c>stmt</c> of a RawStmt).</summary>
    /// <param name="statement">The statement node.</param>
    /// <param name="literalSensitive">
    /// True when the result depends on the value of a constant, so that statements differing only in
    /// literals (same normalized text) may classify differently.
    /// </param>
    /// <exception cref="InsufficientExecutionStackException">The tree nests too deeply to walk.</exception>
    public static StatementInfo Classify(JsonElement statement, out bool literalSensitive)
    {
        var walker = new ParseTreeWalker();
        walker.Walk(statement, RelationUse.Read);

        var nodeType = "";
        foreach (var property in statement.EnumerateObject())
        {
            nodeType = property.Name;
            break;
        }

        var info = new StatementInfo
        {
            NodeType = nodeType,
            // A statement that added nothing was not understood: never let it pass as harmless.
            Kinds = walker._kinds == StatementKind.None ? StatementKind.Other : walker._kinds,
            RelationsRead = Freeze(walker._read),
            RelationsWritten = Freeze(walker._written),
            RelationsLocked = Freeze(walker._locked),
            Functions = Freeze(walker._functions),
            DangerousFunctionGroups = Freeze(walker._groups),
            HasUnboundedWrite = walker._unboundedWrite,
            GuardRefusal = walker._guardRefusal,
        };
        literalSensitive = walker._literalSensitive;
        return info;
    }

    private static IReadOnlySet<string> Freeze(HashSet<string>? set) =>
        set is null ? ReadOnlySet<string>.Empty : new ReadOnlySet<string>(set);

    // Most statements touch few of the sets: allocate each on first use.
    private static void Add(ref HashSet<string>? set, string value) =>
        (set ??= new HashSet<string>(StringComparer.Ordinal)).Add(value);

    private void Walk(JsonElement element, RelationUse use)
    {
        if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                Walk(item, use);
            }
        }
        else if (element.ValueKind == JsonValueKind.Object)
        {
            RuntimeHelpers.EnsureSufficientExecutionStack();
            if (TryGetNode(element, out var node))
            {
                VisitNode(node, use);
            }
            else if (element.TryGetProperty("relname", out _))
            {
                VisitRangeVar(element, use);
            }
            else
            {
                WalkProperties(element, use);
            }
        }
    }

    private void WalkProperties(JsonElement body, RelationUse use)
    {
        foreach (var property in body.EnumerateObject())
        {
            Walk(property.Value, use);
        }
    }

    private void VisitNode(JsonProperty node, RelationUse use)
    {
        // Compared as raw UTF-8 so that the many expression nodes cost no string allocation.
        var type = JsonMarshal.GetRawUtf8PropertyName(node);
        if (type.SequenceEqual("RangeVar"u8))
        {
            VisitRangeVar(node.Value, use);
        }
        else if (type.SequenceEqual("FuncCall"u8))
        {
            VisitFuncCall(node.Value);
        }
        else if (type.EndsWith("Stmt"u8))
        {
            VisitStatement(node.Name, node.Value);
        }
        else
        {
            WalkProperties(node.Value, use);
        }
    }

    private static bool TryGetNode(JsonElement element, out ReadOnlySpan<byte> type, out JsonElement body)
    {
        if (TryGetNode(element, out var node))
        {
            type = JsonMarshal.GetRawUtf8PropertyName(node);
            body = node.Value;
            return true;
        }

        type = default;
        body = default;
        return false;
    }

    /// <summary>A node is an object with a single property named after its type (PascalCase; field names never are).</summary>
    private static bool TryGetNode(JsonElement element, out JsonProperty node)
    {
        using var properties = element.EnumerateObject();
        if (properties.MoveNext())
        {
            node = properties.Current;
            if (node.Value.ValueKind == JsonValueKind.Object && !properties.MoveNext())
            {
                var name = JsonMarshal.GetRawUtf8PropertyName(node);
                return name.Length > 0 && char.IsAsciiLetterUpper((char)name[0]);
            }
        }

        node = default;
        return false;
    }

    private void AddKinds(StatementKind kinds)
    {
        if (_planOnlyDepth == 0)
        {
            _kinds |= kinds;
        }
    }

    private void MarkUnboundedWrite()
    {
        if (_planOnlyDepth == 0)
        {
            _unboundedWrite = true;
        }
    }

    private void AddRelation(string name, RelationUse use)
    {
        if (_planOnlyDepth > 0)
        {
            Add(ref _read, name);
            return;
        }

        switch (use)
        {
            case RelationUse.Read:
                Add(ref _read, name);
                break;
            case RelationUse.Write:
                Add(ref _written, name);
                break;
            case RelationUse.Lock:
                Add(ref _locked, name);
                break;
            case RelationUse.ReadAndLock:
                Add(ref _read, name);
                Add(ref _locked, name);
                break;
        }
    }

    private void VisitRangeVar(JsonElement rangeVar, RelationUse use)
    {
        var relation = GetString(rangeVar, "relname");
        if (relation is null)
        {
            return;
        }

        var schema = GetString(rangeVar, "schemaname");
        var catalog = GetString(rangeVar, "catalogname");
        if (schema is null && catalog is null && use != RelationUse.Write && _cteNames.Contains(relation))
        {
            return;
        }

        var name = catalog is not null ? $"{catalog}.{schema}.{relation}"
            : schema is not null ? $"{schema}.{relation}"
            : relation;
        AddRelation(name, use);

        // Updating pg_settings is set_config in disguise, for a setting named by data.
        if (use == RelationUse.Write && relation == "pg_settings" && schema is null or "pg_catalog")
        {
            AddKinds(StatementKind.RoleChange | StatementKind.Session);
            _guardRefusal ??= LexicalSettings.UnknownSettingRefused;
        }
    }

    private void VisitFuncCall(JsonElement call)
    {
        var name = "";
        var last = "";
        var written = new List<string>(2);
        var joined = new List<string>(2);
        if (call.TryGetProperty("funcname", out var parts) && parts.ValueKind == JsonValueKind.Array)
        {
            foreach (var part in parts.EnumerateArray())
            {
                if (TryGetNode(part, out var type, out var body) && type.SequenceEqual("String"u8) && GetString(body, "sval") is { } text)
                {
                    written.Add(text);
                    joined.Add(text.ToLowerInvariant());
                }
            }

            name = string.Join('.', joined);
            last = joined.Count > 0 ? joined[^1] : "";
        }

        if (name.Length > 0)
        {
            Add(ref _functions, name);
        }

        // User code (or an extension's) may do anything; a policy must allow it by name or group.
        if (!BuiltinFunctions.IsBuiltin(written))
        {
            Add(ref _groups, DangerousFunctionGroups.NonBuiltin);
        }

        if (FunctionCatalog.TryGet(name, last, out var effect))
        {
            AddKinds(effect.Kinds);
            foreach (var group in effect.Groups)
            {
                Add(ref _groups, group);
            }
        }

        if (last is "nextval" or "setval")
        {
            RecordSequenceArgument(call);
        }
        else if (last == "set_config")
        {
            CheckSetConfigArgument(call);
        }

        foreach (var property in call.EnumerateObject())
        {
            if (!property.NameEquals("funcname"))
            {
                Walk(property.Value, RelationUse.Read);
            }
        }
    }

    /// <summary>nextval('s') and setval('s', …) advance the sequence named by a literal first argument.</summary>
    private void RecordSequenceArgument(JsonElement call)
    {
        _literalSensitive = true;
        if (ConstantFirstArgument(call) is { } sequence)
        {
            AddRelation(sequence, RelationUse.Write);
        }
    }

    /// <summary>set_config('client_encoding' or 'standard_conforming_strings', …), or with a name that is not a constant, is refused by the gateway.</summary>
    private void CheckSetConfigArgument(JsonElement call)
    {
        _literalSensitive = true;
        if (ConstantFirstArgument(call) is not { } setting)
        {
            _guardRefusal ??= LexicalSettings.UnknownSettingRefused;
        }
        else if (LexicalSettings.IsPinned(setting))
        {
            _guardRefusal ??= LexicalSettings.ChangeRefused;
        }
    }

    /// <summary>The first argument when it is a string constant (possibly cast), else null.</summary>
    private static string? ConstantFirstArgument(JsonElement call)
    {
        if (!call.TryGetProperty("args", out var args) || args.ValueKind != JsonValueKind.Array || args.GetArrayLength() == 0)
        {
            return null;
        }

        var argument = args[0];
        if (TryGetNode(argument, out var type, out var body) && type.SequenceEqual("TypeCast"u8) && body.TryGetProperty("arg", out var inner))
        {
            argument = inner;
        }

        return TryGetNode(argument, out type, out body) && type.SequenceEqual("A_Const"u8)
            && body.TryGetProperty("sval", out var literal) ? GetString(literal, "sval") : null;
    }

    private int EnterWith(JsonElement statement)
    {
        if (!statement.TryGetProperty("withClause", out var with) || !with.TryGetProperty("ctes", out var ctes)
            || ctes.ValueKind != JsonValueKind.Array)
        {
            return 0;
        }

        // WITH RECURSIVE makes every name visible in every CTE; a plain WITH only the earlier ones, so
        // that in WITH t AS (SELECT * FROM t) the inner t is still the table.
        var recursive = GetBool(with, "recursive");
        var pushed = 0;
        if (recursive)
        {
            foreach (var cte in ctes.EnumerateArray())
            {
                pushed += PushCteName(cte);
            }
        }

        foreach (var cte in ctes.EnumerateArray())
        {
            Walk(cte, RelationUse.Read);
            if (!recursive)
            {
                pushed += PushCteName(cte);
            }
        }

        return pushed;
    }

    private int PushCteName(JsonElement cte)
    {
        if (TryGetNode(cte, out _, out var body) && GetString(body, "ctename") is { } name)
        {
            _cteNames.Add(name);
            return 1;
        }

        return 0;
    }

    private void ExitWith(int pushed) => _cteNames.RemoveRange(_cteNames.Count - pushed, pushed);

    private static string? GetString(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static bool GetBool(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.True;
}
