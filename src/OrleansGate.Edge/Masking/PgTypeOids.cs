namespace OrleansGate.Edge.Masking;

/// <summary>The type OIDs masking knows how to replace faithfully (pg_type.dat).</summary>
internal static class PgTypeOids
{
    public const uint Unknown = 0;
    public const uint Name = 19;
    public const uint Int8 = 20;
    public const uint Int2 = 21;
    public const uint Int4 = 23;
    public const uint Text = 25;
    public const uint Json = 114;
    public const uint Bytea = 17;
    public const uint Untyped = 705;
    public const uint Bpchar = 1042;
    public const uint Varchar = 1043;
    public const uint Uuid = 2950;
    public const uint Jsonb = 3802;

    /// <summary>Types whose value, in either format, is its text as UTF-8 and takes any text as a replacement.</summary>
    public static bool IsTextLike(uint oid) => oid is Text or Varchar or Bpchar or Name or Untyped;

    public static bool IsJson(uint oid) => oid is Json or Jsonb;
}
