using System.Globalization;
using OrleansGate.Edge.Postgres;

namespace OrleansGate.Edge.Masking;

/// <summary>Reads a <see cref="CatalogSnapshot"/> from a target over an upstream connection the caller owns.</summary>
/// <remarks>
/// The three queries run in one repeatable-read transaction, so a view never refers to a relation the snapshot lacks.
/// Catalog names are schema-qualified: a user's own <c>public.pg_class</c> must not stand in for the real one.
/// </remarks>
internal static class CatalogLoader
{
    /// <summary>Past this many rows the catalog is refused rather than held in memory.</summary>
    internal const int MaxRows = 5_000_000;

    /// <summary>User relations with their live columns; a relation without any still comes once, with null columns.</summary>
    internal const string RelationsSql = """
        select c.oid, n.nspname, c.relname, c.relkind, a.attnum, a.attname, a.atttypid
        from pg_catalog.pg_class c
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        left join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
        where c.relkind in ('r', 'v', 'm', 'f', 'p')
          and n.nspname not in ('pg_catalog', 'information_schema')
          and n.nspname not like 'pg\_toast%'
        order by c.oid, a.attnum
        """;

    /// <summary>What each view's rewrite rule reads: a column, or with refobjsubid 0 a whole relation.</summary>
    internal const string DependenciesSql = """
        select distinct r.ev_class, d.refobjid, d.refobjsubid
        from pg_catalog.pg_depend d
        join pg_catalog.pg_rewrite r on d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass and d.objid = r.oid
        where d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass and d.refobjid <> r.ev_class
        order by r.ev_class, d.refobjid, d.refobjsubid
        """;

    internal const string InheritanceSql = "select inhrelid, inhparent from pg_catalog.pg_inherits order by inhrelid, inhseqno";

    public static async Task<CatalogSnapshot> LoadAsync(UpstreamConnection connection, CancellationToken ct)
    {
        var snapshot = new CatalogSnapshot();
        var rows = 0;
        void Count(string?[] row, int columns)
        {
            if (++rows > MaxRows)
            {
                throw new CatalogQueryException($"the catalog has more than {MaxRows} relation columns and dependencies");
            }

            if (row.Length != columns)
            {
                throw new CatalogQueryException($"a catalog query returned {row.Length} columns where {columns} were asked for");
            }
        }

        await SimpleQuery.RunAsync(connection, "begin transaction isolation level repeatable read, read only", _ => { }, ct).ConfigureAwait(false);
        await SimpleQuery.RunAsync(connection, RelationsSql, row =>
        {
            Count(row, 7);
            var oid = Oid(row[0]);
            snapshot.AddRelation(oid, Text(row[1]), Text(row[2]), (RelationKind)Text(row[3])[0]);
            if (row[4] is not null)
            {
                snapshot.AddColumn(oid, Int16(row[4]), Text(row[5]), Oid(row[6]));
            }
        }, ct).ConfigureAwait(false);
        await SimpleQuery.RunAsync(connection, DependenciesSql, row =>
        {
            Count(row, 3);
            snapshot.AddDependency(Oid(row[0]), Oid(row[1]), Int16(row[2]));
        }, ct).ConfigureAwait(false);
        await SimpleQuery.RunAsync(connection, InheritanceSql, row =>
        {
            Count(row, 2);
            snapshot.AddInheritance(Oid(row[0]), Oid(row[1]));
        }, ct).ConfigureAwait(false);
        await SimpleQuery.RunAsync(connection, "commit", _ => { }, ct).ConfigureAwait(false);
        return snapshot;
    }

    private static string Text(string? value) =>
        value ?? throw new CatalogQueryException("a catalog query returned NULL where a value is required");

    private static uint Oid(string? value) =>
        uint.TryParse(Text(value), NumberStyles.None, CultureInfo.InvariantCulture, out var oid) ? oid : throw NotANumber();

    private static short Int16(string? value) =>
        short.TryParse(Text(value), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) ? number : throw NotANumber();

    private static CatalogQueryException NotANumber() => new("a catalog query returned a malformed number");
}
