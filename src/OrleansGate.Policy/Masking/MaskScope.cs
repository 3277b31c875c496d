namespace OrleansGate.Policy.Masking;

/// <summary>
/// One query level: its FROM items and WITH names, and the enclosing level whose names a correlated subquery or a
/// LATERAL item may use.
/// </summary>
internal sealed class MaskScope
{
    private Dictionary<string, QueryShape>? _ctes;

    public MaskScope(MaskScope? parent) => Parent = parent;

    public MaskScope? Parent { get; }

    public List<FromItem> Items { get; } = [];

    public void SetCte(string name, QueryShape shape) =>
        (_ctes ??= new Dictionary<string, QueryShape>(StringComparer.Ordinal))[name] = shape;

    public QueryShape? FindCte(string name)
    {
        for (var scope = this; scope is not null; scope = scope.Parent)
        {
            if (scope._ctes is not null && scope._ctes.TryGetValue(name, out var shape))
            {
                return shape;
            }
        }

        return null;
    }

    /// <summary>The nearest item of that reference name, this level first.</summary>
    public FromItem? FindItem(string name)
    {
        for (var scope = this; scope is not null; scope = scope.Parent)
        {
            foreach (var item in scope.Items)
            {
                if (item.Name == name)
                {
                    return item;
                }
            }
        }

        return null;
    }

    /// <summary>Items of this level and every enclosing one: an unqualified name may come from any of them.</summary>
    public IEnumerable<FromItem> Visible()
    {
        for (var scope = this; scope is not null; scope = scope.Parent)
        {
            foreach (var item in scope.Items)
            {
                yield return item;
            }
        }
    }
}
