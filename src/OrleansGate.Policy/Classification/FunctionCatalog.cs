using System.Collections.Frozen;
using G = OrleansGate.Policy.Classification.DangerousFunctionGroups;

namespace OrleansGate.Policy.Classification;

/// <summary>
/// Built-in knowledge of functions with effects beyond reading: the members of each dangerous group,
/// and a few harmless-looking functions that write or lock. Matched on the last part of the name,
/// lower-cased, whatever the schema: dblink lives in whatever schema its extension was installed in,
/// and nobody but a superuser can shadow a pg_catalog name with a harmless one.
/// </summary>
internal static class FunctionCatalog
{
    private static readonly FunctionEffect FileAccess = new(StatementKind.Admin, G.FileAccess);
    private static readonly FunctionEffect FileAccessLargeObject = new(StatementKind.Admin | StatementKind.Write, G.FileAccess, G.LargeObjects);
    private static readonly FunctionEffect LargeObject = new(StatementKind.Write, G.LargeObjects);
    private static readonly FunctionEffect Dblink = new(StatementKind.Procedural | StatementKind.Admin, G.Dblink);
    private static readonly FunctionEffect Signal = new(StatementKind.Admin, G.Signal);
    private static readonly FunctionEffect DynamicSql = new(StatementKind.Procedural, G.DynamicSql);
    private static readonly FunctionEffect Config = new(StatementKind.RoleChange | StatementKind.Session, G.Config);
    private static readonly FunctionEffect Admin = new(StatementKind.Admin, G.Admin);
    private static readonly FunctionEffect Write = new(StatementKind.Write);
    private static readonly FunctionEffect Lock = new(StatementKind.Lock);

    private static readonly FrozenDictionary<string, FunctionEffect> Exact = new Dictionary<string, FunctionEffect>
    {
        // file_access: server files, readable with pg_read_server_files, writable with adminpack.
        ["pg_read_file"] = FileAccess,
        ["pg_read_binary_file"] = FileAccess,
        ["pg_stat_file"] = FileAccess,
        ["pg_ls_dir"] = FileAccess,
        ["pg_file_write"] = FileAccess,
        ["pg_file_rename"] = FileAccess,
        ["pg_file_unlink"] = FileAccess,
        ["pg_file_sync"] = FileAccess,
        ["pg_logdir_ls"] = FileAccess,
        ["lo_import"] = FileAccessLargeObject,
        ["lo_export"] = FileAccessLargeObject,

        // large_objects without an lo_ prefix (the prefix rule below covers the rest).
        ["loread"] = LargeObject,
        ["lowrite"] = LargeObject,

        // signal
        ["pg_terminate_backend"] = Signal,
        ["pg_cancel_backend"] = Signal,
        ["pg_signal_backend"] = Signal,
        ["pg_reload_conf"] = Signal,
        ["pg_rotate_logfile"] = Signal,
        ["pg_promote"] = Signal,
        ["pg_log_backend_memory_contexts"] = Signal,

        // dynamic_sql: these run a query given as text, or read a whole table or schema by name, so the
        // relations they touch never appear in the parse tree.
        ["query_to_xml"] = DynamicSql,
        ["query_to_xmlschema"] = DynamicSql,
        ["query_to_xml_and_xmlschema"] = DynamicSql,
        ["cursor_to_xml"] = DynamicSql,
        ["cursor_to_xmlschema"] = DynamicSql,
        ["table_to_xml"] = DynamicSql,
        ["table_to_xmlschema"] = DynamicSql,
        ["table_to_xml_and_xmlschema"] = DynamicSql,
        ["ts_stat"] = DynamicSql,
        ["ts_rewrite"] = DynamicSql,

        // Extensions that run SQL text later or in another backend: pg_cron (always in schema cron),
        // pg_background, Citus.
        ["cron.schedule"] = DynamicSql,
        ["cron.schedule_in_database"] = DynamicSql,
        ["cron.alter_job"] = DynamicSql,
        ["pg_background_launch"] = DynamicSql,
        ["master_run_on_worker"] = DynamicSql,

        // config
        ["set_config"] = Config,

        // admin
        ["pg_switch_wal"] = Admin,
        ["pg_switch_xlog"] = Admin,
        ["pg_create_restore_point"] = Admin,
        ["pg_backup_start"] = Admin,
        ["pg_backup_stop"] = Admin,
        ["pg_start_backup"] = Admin,
        ["pg_stop_backup"] = Admin,
        ["pg_create_physical_replication_slot"] = Admin,
        ["pg_create_logical_replication_slot"] = Admin,
        ["pg_drop_replication_slot"] = Admin,
        ["pg_copy_physical_replication_slot"] = Admin,
        ["pg_copy_logical_replication_slot"] = Admin,
        ["pg_replication_slot_advance"] = Admin,
        ["pg_wal_replay_pause"] = Admin,
        ["pg_wal_replay_resume"] = Admin,
        ["pg_import_system_collations"] = Admin,

        // Not dangerous, but not reads either: they change shared state or block other sessions.
        ["nextval"] = Write,
        ["setval"] = Write,
        ["pg_notify"] = Write,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    // Checked in order after the exact names.
    private static readonly (string Prefix, FunctionEffect Effect)[] Prefixes =
    [
        ("lo_", LargeObject),
        ("dblink", Dblink),
        ("pg_ls_", FileAccess),
        ("schema_to_xml", DynamicSql),
        ("database_to_xml", DynamicSql),
        ("pg_stat_reset", Admin),
        ("pg_stat_statements_reset", Admin),
        ("pg_replication_origin_", Admin),
        ("pg_logical_", Admin),
        ("pg_advisory_", Lock),
        ("pg_try_advisory_", Lock),
        ("run_command_on_", DynamicSql),
    ];

    /// <summary>Looks up the lower-case function name: as written (schema-qualified entries such as cron.schedule), then unqualified.</summary>
    public static bool TryGet(string qualified, string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out FunctionEffect? effect)
    {
        if (Exact.TryGetValue(name, out effect) || (qualified.Length != name.Length && Exact.TryGetValue(qualified, out effect)))
        {
            return true;
        }

        foreach (var (prefix, prefixEffect) in Prefixes)
        {
            if (name.StartsWith(prefix, StringComparison.Ordinal))
            {
                effect = prefixEffect;
                return true;
            }
        }

        effect = null;
        return false;
    }
}
