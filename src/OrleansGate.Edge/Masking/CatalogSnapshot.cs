namespace OrleansGate.Edge.Masking;

/// <summary>
/// The user relations of one target with their columns, the view dependencies and the inheritance links, as read at one
/// moment and before any mask is applied. Shared by every session of the target; masks are bound to it by
/// <see cref="MaskBinder"/>. Built by <see cref="CatalogLoader"/> from the target, or by hand in tests.
/// </summary>
/// <remarks>Not thread-safe while it is being filled; read-only once published.</remarks>
public sealed class CatalogSnapshot
{
    private readonly Dictionary<uint, CatalogRelation> _relations = [];
    private readonly Dictionary<(string Schema, string Name), CatalogRelation> _byQualified = [];
    private readonly Dictionary<string, List<CatalogRelation>> _byName = new(StringComparer.Ordinal);
    private readonly List<ViewDependency> _dependencies = [];
    private readonly List<(uint Child, uint Parent)> _inheritance = [];

    public int ColumnCount { get; private set; }

    public IReadOnlyCollection<CatalogRelation> Relations => _relations.Values;

    /// <summary>Rewrite-rule dependencies of views and materialized views, in the order they were read.</summary>
    public IReadOnlyList<ViewDependency> Dependencies => _dependencies;

    /// <summary><c>pg_inherits</c>: partitions and inheritance children with their direct parent.</summary>
    public IReadOnlyList<(uint Child, uint Parent)> Inheritance => _inheritance;

    public CatalogRelation AddRelation(uint oid, string schema, string name, RelationKind kind)
    {
        if (_relations.TryGetValue(oid, out var known))
        {
            return known;
        }

        var relation = new CatalogRelation(oid, schema, name, kind);
        _relations.Add(oid, relation);
        _byQualified[(schema, name)] = relation;
        if (!_byName.TryGetValue(name, out var sameName))
        {
            _byName[name] = sameName = [];
        }

        sameName.Add(relation);
        return relation;
    }

    public void AddColumn(uint oid, short attNum, string name, uint typeOid)
    {
        if (!_relations.TryGetValue(oid, out var relation))
        {
            throw new ArgumentException($"relation {oid} is not in the snapshot", nameof(oid));
        }

        relation.Add(new CatalogColumn(attNum, name, typeOid, null));
        ColumnCount++;
    }

    public void AddDependency(uint view, uint referenced, short referencedAttNum) =>
        _dependencies.Add(new ViewDependency(view, referenced, referencedAttNum));

    public void AddInheritance(uint child, uint parent) => _inheritance.Add((child, parent));

    public CatalogRelation? Find(uint oid) => _relations.GetValueOrDefault(oid);

    public CatalogRelation? Find(string schema, string name) => _byQualified.GetValueOrDefault((schema, name));

    /// <summary>Every relation of that name, whatever its schema, in the order they were read.</summary>
    public IReadOnlyList<CatalogRelation> FindAll(string name) =>
        _byName.TryGetValue(name, out var relations) ? relations : [];
}
