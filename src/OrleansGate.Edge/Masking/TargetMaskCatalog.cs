using OrleansGate.Policy.Masking;
using OrleansGate.Policy.Model;

namespace OrleansGate.Edge.Masking;

/// <summary>The masks of one session bound to one target's catalog (made by <see cref="MaskBinder"/>; immutable).</summary>
public sealed class TargetMaskCatalog
{
    private readonly CatalogSnapshot _snapshot;
    private readonly Dictionary<(uint Oid, short AttNum), MaskedColumn> _masked;

    /// <summary>Column lists with their masks, for relations that have any; the others share the snapshot's lists.</summary>
    private readonly Dictionary<uint, CatalogColumn[]> _maskedRelations = [];

    internal TargetMaskCatalog(CatalogSnapshot snapshot, IReadOnlyList<PolicyMask> masks, Dictionary<(uint Oid, short AttNum), MaskedColumn> masked)
    {
        _snapshot = snapshot;
        _masked = masked;
        Masks = masks;
        FallbackMask = masks.FirstOrDefault(m => m.Columns.Count > 0);

        var names = new List<MaskedColumnName>(masked.Count);
        foreach (var oid in masked.Keys.Select(k => k.Oid).Distinct())
        {
            var relation = snapshot.Find(oid)!;
            var columns = relation.Columns
                .Select(c => masked.TryGetValue((oid, c.AttNum), out var m) ? c with { Mask = m.Mask } : c)
                .ToArray();
            _maskedRelations[oid] = columns;
            names.AddRange(columns.Where(c => c.Mask is not null).Select(c => new MaskedColumnName(relation.Schema, relation.Name, c.Name, c.Mask!)));
        }

        Names = names.Count == 0 ? MaskedRelations.Empty : new MaskedRelations(names);
    }

    /// <summary>Masked columns by name for the statement analyzer: tables, and views and materialized views that read them.</summary>
    public MaskedRelations Names { get; }

    /// <summary>The masks that apply to the session, in policy order.</summary>
    public IReadOnlyList<PolicyMask> Masks { get; }

    /// <summary>The first mask with columns, for what is masked when nothing more precise is known.</summary>
    public PolicyMask? FallbackMask { get; }

    /// <summary>The mask of a column of a RowDescription (table OID and attribute number), if it is masked.</summary>
    public bool TryGetColumn(uint tableOid, short attNum, out MaskedColumn column) => _masked.TryGetValue((tableOid, attNum), out column);

    /// <summary>
    /// Whether a relation (table, view, materialized view, foreign or partitioned table) existed when the catalog was
    /// loaded. One that did not was created since: the caller invalidates the cache rather than trust this catalog.
    /// </summary>
    public bool IsKnownRelation(uint tableOid) => _snapshot.Find(tableOid) is not null;

    /// <summary>The live columns of a relation, ordered by attribute number, with their masks; null when unknown.</summary>
    /// <remarks>
    /// Without a schema the relation the server would pick depends on the session's search_path, which is not known
    /// here. Of the relations of that name, the first with masked columns is returned if there is one (assuming the
    /// masked one errs on the safe side), else the first read.
    /// </remarks>
    public IReadOnlyList<CatalogColumn>? ColumnsOf(string? schema, string relation)
    {
        if (schema is not null)
        {
            return _snapshot.Find(schema, relation) is { } found ? ColumnsOf(found) : null;
        }

        var candidates = _snapshot.FindAll(relation);
        var chosen = candidates.FirstOrDefault(r => _maskedRelations.ContainsKey(r.Oid)) ?? candidates.FirstOrDefault();
        return chosen is null ? null : ColumnsOf(chosen);
    }

    private IReadOnlyList<CatalogColumn> ColumnsOf(CatalogRelation relation) =>
        _maskedRelations.TryGetValue(relation.Oid, out var columns) ? columns : relation.Columns;
}
