using OrleansGate.Policy.Model;

namespace OrleansGate.Policy.Masking;

/// <summary>A masked column as the statement analyzer knows it: by name, as the catalog of one target spells it.</summary>
/// <param name="Schema">The relation's schema.</param>
/// <param name="Relation">A table, view or materialized view (a view's columns are masked when it reads a masked column).</param>
/// <param name="Column">The column.</param>
/// <param name="Mask">The first mask of the session's policy that covers it.</param>
public readonly record struct MaskedColumnName(string Schema, string Relation, string Column, PolicyMask Mask);

/// <summary>
/// The relations of one target that hold masked columns, by name, for <c>MaskAnalyzer</c>. Names are compared exactly,
/// as the parser has folded them (unquoted identifiers are lower case, so are catalog names of unquoted objects).
/// </summary>
public sealed class MaskedRelations
{
    public static readonly MaskedRelations Empty = new([]);

    private readonly Dictionary<string, Dictionary<string, PolicyMask>> _byRelation = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Schema, string Relation), Dictionary<string, PolicyMask>> _byQualified = [];

    public MaskedRelations(IEnumerable<MaskedColumnName> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        foreach (var column in columns)
        {
            Add(_byRelation, column.Relation, column);
            Add(_byQualified, (column.Schema, column.Relation), column);
        }
    }

    public bool IsEmpty => _byRelation.Count == 0;

    /// <summary>The first mask of any relation, for what is masked when nothing more precise is known.</summary>
    public PolicyMask? AnyMask => _byRelation.Values.SelectMany(c => c.Values).FirstOrDefault();

    /// <summary>
    /// The masked columns of a relation named in a statement (mask by column name). Without a schema every relation of
    /// that name counts, whatever the search path: over-approximating is safe, missing one is not.
    /// </summary>
    public bool TryGetRelation(string? schema, string relation, out IReadOnlyDictionary<string, PolicyMask> maskByColumn)
    {
        var found = schema is null
            ? _byRelation.TryGetValue(relation, out var columns)
            : _byQualified.TryGetValue((schema, relation), out columns);
        maskByColumn = columns ?? (IReadOnlyDictionary<string, PolicyMask>)new Dictionary<string, PolicyMask>();
        return found;
    }

    /// <summary>Whether any masked relation has a masked column of this name (an unqualified reference that cannot be placed).</summary>
    public PolicyMask? AnyColumnNamed(string column)
    {
        foreach (var columns in _byRelation.Values)
        {
            if (columns.TryGetValue(column, out var mask))
            {
                return mask;
            }
        }

        return null;
    }

    private static void Add<TKey>(Dictionary<TKey, Dictionary<string, PolicyMask>> map, TKey key, MaskedColumnName column)
        where TKey : notnull
    {
        if (!map.TryGetValue(key, out var columns))
        {
            map[key] = columns = new Dictionary<string, PolicyMask>(StringComparer.Ordinal);
        }

        columns.TryAdd(column.Column, column.Mask);
    }
}
