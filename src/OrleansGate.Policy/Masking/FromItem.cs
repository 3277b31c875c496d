using OrleansGate.Policy.Model;

namespace OrleansGate.Policy.Masking;

/// <summary>
/// One item of a FROM list (or the relation a DML statement writes) as the mask analysis sees it: a base relation with
/// its masked columns, a subquery or CTE with its output shape, an opaque source (function, unknown node) whose every
/// output may carry one taint, or a join alias over its two sides.
/// </summary>
internal sealed class FromItem
{
    private static readonly Dictionary<string, PolicyMask> NoColumns = new(StringComparer.Ordinal);

    private readonly IReadOnlyDictionary<string, PolicyMask>? _masked;
    private readonly bool _renamed;
    private readonly QueryShape? _shape;
    private readonly Taint? _opaque;
    private readonly IReadOnlyList<FromItem>? _children;

    private FromItem(
        string? name,
        IReadOnlyDictionary<string, PolicyMask>? masked,
        bool renamed,
        QueryShape? shape,
        Taint? opaque,
        IReadOnlyList<FromItem>? children)
    {
        Name = name;
        _masked = masked;
        _renamed = renamed;
        _shape = shape;
        _opaque = opaque;
        _children = children;
    }

    /// <summary>The reference name (alias, else relation or function name); null when it has none.</summary>
    public string? Name { get; }

    /// <summary>A base relation: the server ties a bare reference to its columns in the RowDescription.</summary>
    public bool IsRelation => _masked is not null;

    /// <param name="renamed">
    /// The alias renames the relation's columns (<c>customers AS c(a, b, e)</c>): positions are unknown here, so every
    /// name may be a masked column.
    /// </param>
    public static FromItem Relation(string name, IReadOnlyDictionary<string, PolicyMask>? masked, bool renamed) =>
        new(name, masked ?? NoColumns, renamed && masked is { Count: > 0 }, null, null, null);

    public static FromItem Derived(string? name, QueryShape shape) => new(name, null, false, shape, null, null);

    public static FromItem Opaque(string? name, Taint? taint) => new(name, null, false, null, taint, null);

    public static FromItem Join(string name, IReadOnlyList<FromItem> sides) => new(name, null, false, null, null, sides);

    /// <summary>The taint of this item's column of that name (null when clean or when it has none).</summary>
    public Taint? Column(string column)
    {
        if (_masked is not null)
        {
            return _masked.TryGetValue(column, out var mask) ? Taint.Of(mask, derived: false)
                : _renamed ? WholeRow() : null;
        }

        if (_shape is not null)
        {
            return _shape.Column(column);
        }

        return _children is not null ? Taint.Union(_children.Select(c => c.Column(column))) : _opaque;
    }

    /// <summary>The taint of any of its columns: what a whole-row reference (<c>c</c>, <c>c.*</c>) or a set operation carries.</summary>
    public Taint? WholeRow()
    {
        if (_masked is not null)
        {
            return Taint.Union(_masked.Values.Select(static mask => (Taint?)Taint.Of(mask, derived: false)));
        }

        return _shape?.All() ?? (_children is not null ? Taint.Union(_children.Select(static c => c.WholeRow())) : _opaque);
    }

    /// <summary>
    /// What a top-level <c>*</c> over this item may return in columns the server does not tie to a table: nothing for
    /// a base relation (the RowDescription ties those), the taint of its outputs otherwise.
    /// </summary>
    public Taint? UntiedTaint() =>
        _masked is not null ? null
        : _children is not null ? Taint.Union(_children.Select(static c => c.UntiedTaint()))
        : _shape is not null ? _shape.All()
        : _opaque;
}
