using OrleansGate.Policy.Evaluation;
using OrleansGate.Policy.Model;

namespace OrleansGate.Edge.Masking;

/// <summary>
/// Binds a session's masks to a target's <see cref="CatalogSnapshot"/>. Wherever it has to guess, it masks: a column
/// shown in clear that should not be is a leak, one masked too many is an inconvenience.
/// </summary>
/// <remarks>
/// 1. Tables, partitioned and foreign tables: a column takes the first mask, in policy order, with a
///    <c>schema.table.column</c> glob that matches it.
/// 2. Inheritance: a child (a partition) takes its parents' masks by column name, down to the leaves; a parent also
///    takes a child's masks, since reading the parent reads the child's rows (siblings are not masked for it).
/// 3. Views and materialized views that read a masked column, or a relation with masked columns as a whole, have every
///    column masked with the mask of the first such dependency, until nothing changes (views over views).
/// Not seen here: a view that reaches masked data through a function, or a rule on a table; values detectors see those.
/// </remarks>
internal static class MaskBinder
{
    public static TargetMaskCatalog Bind(CatalogSnapshot snapshot, IReadOnlyList<PolicyMask> masks)
    {
        var masked = new MaskedSet();
        if (masks.Any(m => m.Columns.Count > 0))
        {
            MatchGlobs(snapshot, masks, masked);
            PropagateInheritance(snapshot, masked);
            PropagateToViews(snapshot, masked);
        }

        return new TargetMaskCatalog(snapshot, masks, masked.Columns);
    }

    private static void MatchGlobs(CatalogSnapshot snapshot, IReadOnlyList<PolicyMask> masks, MaskedSet masked)
    {
        foreach (var relation in snapshot.Relations.Where(r => r.HoldsData))
        {
            foreach (var column in relation.Columns)
            {
                var label = relation.Label(column.Name);
                var mask = masks.FirstOrDefault(m => Glob.AnyMatch(m.Columns, label));
                if (mask is not null)
                {
                    masked.Mark(relation, column, mask);
                }
            }
        }
    }

    private static void PropagateInheritance(CatalogSnapshot snapshot, MaskedSet masked)
    {
        // Down first, to a fixpoint (multi-level partitioning), then up: masks a parent takes from one child must not
        // come down again to its siblings.
        while (CopyByName(snapshot, masked, link => (From: link.Parent, To: link.Child)))
        {
        }

        while (CopyByName(snapshot, masked, link => (From: link.Child, To: link.Parent)))
        {
        }
    }

    private static bool CopyByName(CatalogSnapshot snapshot, MaskedSet masked, Func<(uint Child, uint Parent), (uint From, uint To)> direction)
    {
        var changed = false;
        foreach (var link in snapshot.Inheritance)
        {
            var (fromOid, toOid) = direction(link);
            if (snapshot.Find(fromOid) is not { } from || snapshot.Find(toOid) is not { } to || !masked.HasAny(from.Oid))
            {
                continue;
            }

            foreach (var column in to.Columns)
            {
                var source = from.Columns.FirstOrDefault(c => c.Name == column.Name);
                if (source.Name is not null && masked.MaskOf(from.Oid, source.AttNum) is { } mask && masked.MaskOf(to.Oid, column.AttNum) is null)
                {
                    masked.Mark(to, column, mask);
                    changed = true;
                }
            }
        }

        return changed;
    }

    private static void PropagateToViews(CatalogSnapshot snapshot, MaskedSet masked)
    {
        var byView = snapshot.Dependencies
            .Where(d => snapshot.Find(d.View) is { IsView: true })
            .GroupBy(d => d.View)
            .ToDictionary(g => g.Key, g => g.ToList());

        bool changed;
        do
        {
            changed = false;
            foreach (var (viewOid, dependencies) in byView)
            {
                if (masked.HasAny(viewOid))
                {
                    continue;
                }

                var mask = dependencies
                    .Select(d => d.ReferencedAttNum == 0 ? masked.FirstMaskOf(d.Referenced) : masked.MaskOf(d.Referenced, d.ReferencedAttNum))
                    .FirstOrDefault(m => m is not null);
                if (mask is null)
                {
                    continue;
                }

                var view = snapshot.Find(viewOid)!;
                foreach (var column in view.Columns)
                {
                    masked.Mark(view, column, mask);
                }

                changed = true;
            }
        }
        while (changed);
    }

    /// <summary>The masked columns found so far, and per relation the mask of its lowest-numbered masked column.</summary>
    private sealed class MaskedSet
    {
        private readonly Dictionary<uint, (short AttNum, PolicyMask Mask)> _first = [];

        public Dictionary<(uint Oid, short AttNum), MaskedColumn> Columns { get; } = [];

        public void Mark(CatalogRelation relation, CatalogColumn column, PolicyMask mask)
        {
            Columns[(relation.Oid, column.AttNum)] = new MaskedColumn(mask, relation.Label(column.Name), column.TypeOid);
            if (!_first.TryGetValue(relation.Oid, out var first) || column.AttNum < first.AttNum)
            {
                _first[relation.Oid] = (column.AttNum, mask);
            }
        }

        public bool HasAny(uint oid) => _first.ContainsKey(oid);

        public PolicyMask? MaskOf(uint oid, short attNum) =>
            Columns.TryGetValue((oid, attNum), out var column) ? column.Mask : null;

        public PolicyMask? FirstMaskOf(uint oid) => _first.TryGetValue(oid, out var first) ? first.Mask : null;
    }
}
