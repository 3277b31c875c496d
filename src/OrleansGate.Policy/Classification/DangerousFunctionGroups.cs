using System.Collections.Frozen;

namespace OrleansGate.Policy.Classification;

/// <summary>
/// Names of the built-in groups of dangerous functions that a policy can refer to as a whole.
/// The members of each group are listed in <see cref="FunctionCatalog"/>.
/// </summary>
public static class DangerousFunctionGroups
{
    /// <summary>Reads, lists or writes files on the database server (pg_read_file, pg_ls_dir, lo_import, pg_file_write…).</summary>
    public const string FileAccess = "file_access";

    /// <summary>Large objects (lo_*, loread, lowrite): storage outside tables, and lo_import/lo_export touch server files.</summary>
    public const string LargeObjects = "large_objects";

    /// <summary>dblink*: runs arbitrary SQL over another connection, possibly as another role or on another host.</summary>
    public const string Dblink = "dblink";

    /// <summary>Signals backends or the postmaster (pg_terminate_backend, pg_cancel_backend, pg_reload_conf, pg_promote…).</summary>
    public const string Signal = "signal";

    /// <summary>Executes SQL text or whole tables the classifier cannot see (query_to_xml, table_to_xml, ts_stat, cron.schedule, pg_background_launch…).</summary>
    public const string DynamicSql = "dynamic_sql";

    /// <summary>Changes settings from inside a query: set_config (current_setting is harmless and not listed).</summary>
    public const string Config = "config";

    /// <summary>WAL, backups, replication slots and origins, statistics resets.</summary>
    public const string Admin = "admin";

    /// <summary>COPY … PROGRAM: runs a shell command on the database server.</summary>
    public const string Program = "program";

    /// <summary>
    /// Any function that is not a PostgreSQL 15 built-in (see <see cref="BuiltinFunctions"/>), or is called with a schema
    /// other than pg_catalog: user-defined and extension functions, whose bodies may write, run dynamic SQL or anything else.
    /// </summary>
    public const string NonBuiltin = "non_builtin";

    /// <summary>Every group name, for validating policy files.</summary>
    public static IReadOnlySet<string> All { get; } = new[]
    {
        FileAccess, LargeObjects, Dblink, Signal, DynamicSql, Config, Admin, Program, NonBuiltin,
    }.ToFrozenSet(StringComparer.Ordinal);
}
