namespace OrleansGate.Edge.Masking;

/// <summary><c>pg_class.relkind</c> of the relations the catalog loads; values are the catalog's characters.</summary>
public enum RelationKind : byte
{
    Table = (byte)'r',
    View = (byte)'v',
    MaterializedView = (byte)'m',
    ForeignTable = (byte)'f',
    PartitionedTable = (byte)'p',
}
