namespace OrleansGate.Edge.Masking;

/// <summary>A user relation of a <see cref="CatalogSnapshot"/> and its live columns, ordered by attribute number.</summary>
public sealed class CatalogRelation(uint oid, string schema, string name, RelationKind kind)
{
    private readonly List<CatalogColumn> _columns = [];

    public uint Oid { get; } = oid;

    public string Schema { get; } = schema;

    public string Name { get; } = name;

    public RelationKind Kind { get; } = kind;

    public IReadOnlyList<CatalogColumn> Columns => _columns;

    /// <summary>Whether masks are matched on its columns by glob; views get theirs from what they read.</summary>
    public bool HoldsData => Kind is RelationKind.Table or RelationKind.PartitionedTable or RelationKind.ForeignTable;

    public bool IsView => Kind is RelationKind.View or RelationKind.MaterializedView;

    public string Label(string column) => $"{Schema}.{Name}.{column}";

    public int IndexOf(short attNum)
    {
        var low = 0;
        var high = _columns.Count - 1;
        while (low <= high)
        {
            var middle = (low + high) / 2;
            var at = _columns[middle].AttNum;
            if (at == attNum)
            {
                return middle;
            }

            (low, high) = at < attNum ? (middle + 1, high) : (low, middle - 1);
        }

        return ~low;
    }

    internal void Add(CatalogColumn column)
    {
        // The loader reads columns in attnum order, so this appends; tests may add them in any order.
        var index = IndexOf(column.AttNum);
        if (index >= 0)
        {
            throw new ArgumentException($"{Schema}.{Name} already has a column {column.AttNum}", nameof(column));
        }

        _columns.Insert(~index, column);
    }
}
