using System.Runtime.CompilerServices;
using System.Text.Json;
using OrleansGate.Policy.Model;

namespace OrleansGate.Policy.Masking;

/// <summary>
/// Analyses one top-level statement's JSON parse tree for values that flow from masked columns. Name-based and
/// conservative: where it cannot tell where a value comes from, it counts it as derived from a masked column.
/// </summary>
/// <remarks>
/// As in <c>ParseTreeWalker</c>, a generic Node field is <c>{"TypeName": {…}}</c> and a specific-struct field is bare.
/// Expressions are walked generically (every object and array), so an expression kind not named here is still seen.
/// </remarks>
internal sealed partial class MaskWalker
{
    private const string PredicateReason = "the statement filters, joins, orders or groups on a masked column";

    private readonly MaskedRelations _relations;
    private MaskRefusal? _refusal;

    // Inside EXPLAIN: nothing is returned, so derived outputs do not matter; writes only when ANALYZE runs them.
    private bool _inExplain;
    private bool _explainRuns;

    public MaskWalker(MaskedRelations relations) => _relations = relations;

    public bool Touches { get; private set; }

    public MaskRefusal? Refusal => _refusal;

    private Taint? AnyMask()
    {
        var taint = Taint.OfAny(_relations.AnyMask);
        Touches |= taint is not null;
        return taint;
    }

    private enum RefusalKind
    {
        Predicate,
        Derived,
        Write,
        Opaque,
    }

    private void Refuse(RefusalKind kind, PolicyMask? mask, string reason)
    {
        if (mask is null || _refusal is not null)
        {
            return;
        }

        if (_inExplain && (kind == RefusalKind.Derived || (kind == RefusalKind.Write && !_explainRuns)))
        {
            return;
        }

        _refusal = new MaskRefusal(mask, reason);
    }

    /// <summary>A masked value used where its value decides which rows come back, or in what order.</summary>
    private void CheckPredicate(Taint? taint)
    {
        if (taint is null)
        {
            return;
        }

        foreach (var mask in taint.Masks)
        {
            if (mask.DenyPredicates)
            {
                Refuse(RefusalKind.Predicate, mask, $"{PredicateReason} (mask '{mask.Name}' has predicates: deny)");
                return;
            }
        }
    }

    private void CheckDerived(Taint? taint, string what)
    {
        if (taint is not { Derived: true })
        {
            return;
        }

        foreach (var mask in taint.Masks)
        {
            if (mask.DenyDerived)
            {
                Refuse(RefusalKind.Derived, mask, $"{what} is derived from a masked column (mask '{mask.Name}' has derived: deny)");
                return;
            }
        }
    }

    private void CheckWrite(Taint? taint, string statement, string into)
    {
        if (taint is not null)
        {
            Refuse(RefusalKind.Write, taint.First, $"{statement} would copy masked values into {into} (mask '{taint.First.Name}')");
        }
    }

    private static void EnsureStack() => RuntimeHelpers.EnsureSufficientExecutionStack();

    /// <summary>A node is an object with a single property named after its type (PascalCase; field names never are).</summary>
    private static bool TryGetNode(JsonElement element, out string type, out JsonElement body)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            using var properties = element.EnumerateObject();
            if (properties.MoveNext())
            {
                var node = properties.Current;
                if (node.Value.ValueKind == JsonValueKind.Object && !properties.MoveNext()
                    && node.Name.Length > 0 && char.IsAsciiLetterUpper(node.Name[0]))
                {
                    type = node.Name;
                    body = node.Value;
                    return true;
                }
            }
        }

        type = "";
        body = default;
        return false;
    }

    private static bool TryGet(JsonElement body, string name, out JsonElement value)
    {
        if (body.ValueKind == JsonValueKind.Object)
        {
            return body.TryGetProperty(name, out value);
        }

        value = default;
        return false;
    }

    private static string? GetString(JsonElement body, string name) =>
        TryGet(body, name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static bool GetBool(JsonElement body, string name) =>
        TryGet(body, name, out var value) && value.ValueKind == JsonValueKind.True;

    /// <summary>The svals of a list of <c>{"String": {"sval": …}}</c> (name lists, column alias lists).</summary>
    private static List<string> Strings(JsonElement list)
    {
        var names = new List<string>();
        if (list.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in list.EnumerateArray())
            {
                if (TryGetNode(item, out var type, out var body) && type == "String")
                {
                    names.Add(GetString(body, "sval") ?? "");
                }
            }
        }

        return names;
    }

    /// <summary>An Alias struct's column names (<c>AS s(a, b)</c>), empty when none.</summary>
    private static List<string> AliasColumns(JsonElement owner) =>
        TryGet(owner, "alias", out var alias) && TryGet(alias, "colnames", out var names) ? Strings(names) : [];

    private static string? AliasName(JsonElement owner) =>
        TryGet(owner, "alias", out var alias) ? GetString(alias, "aliasname") : null;
}
