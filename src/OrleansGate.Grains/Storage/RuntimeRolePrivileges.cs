using System.Text;
using Npgsql;

namespace OrleansGate.Grains.Storage;

/// <summary>
/// The runtime role's side of the schema (docs/audit.md, "Privileges"): who may be made the role the nodes log
/// in as, granting it what a node needs (<c>Privileges/runtime_role.sql</c>), proving afterwards that it can do
/// no more than append to and read the audit tables, and finding out whether a node's own role could rewrite them.
/// </summary>
/// <remarks>All of it runs inside the installer's transaction: a refusal leaves the database as it was.</remarks>
internal static class RuntimeRolePrivileges
{
    /// <summary>Every table and sequence whose name starts with this holds audit evidence: append and read only.</summary>
    public const string AuditPrefix = "orleansgate_audit";

    private const string GrantResource = "OrleansGate.Grains.Storage.Privileges.runtime_role.sql";

    // Our objects in the schema the scripts install into: the Orleans query catalogue and everything orleansgate_*.
    private const string OursFilter = "(starts_with(c.relname::text, 'orleansgate') OR c.relname = 'orleansquery')";

    /// <summary>
    /// Refuses a role that would still control the audit once granted: a superuser, a role that can create roles
    /// (it could grant itself the owner), or a member of the installing role, the database owner or the schema
    /// owner (the schema's owner may drop any table in it). Also refuses to run while objects of ours belong to a
    /// role the installer does not act for: grants on them would fail, and after a single-role setup that role is
    /// usually the runtime role itself.
    /// </summary>
    public static async Task CheckRuntimeRoleAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string role, CancellationToken ct)
    {
        const string RoleSql = """
            SELECT r.rolsuper, r.rolcreaterole,
                   coalesce(pg_has_role(r.oid, (SELECT oid FROM pg_roles WHERE rolname = current_user), 'MEMBER'), false),
                   coalesce(pg_has_role(r.oid, (SELECT datdba FROM pg_database WHERE datname = current_database()), 'MEMBER'), false),
                   coalesce(pg_has_role(r.oid, (SELECT nspowner FROM pg_namespace WHERE nspname = current_schema()), 'MEMBER'), false),
                   current_user::text, current_database()::text, coalesce(current_schema()::text, '')
              FROM pg_roles r
             WHERE r.rolname = $1
            """;
        string installer;
        await using (var command = new NpgsqlCommand(RoleSql, connection, transaction))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = role });
            await using var reader = await command.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct))
            {
                throw new InvalidOperationException(
                    $"the runtime role '{role}' does not exist: create it first (CREATE ROLE \"{role}\" LOGIN PASSWORD '…'; as a role with CREATEROLE), then run schema apply again");
            }

            installer = reader.GetString(5);
            var database = reader.GetString(6);
            var schema = reader.GetString(7);
            var reason =
                reader.GetBoolean(0) ? "is a superuser"
                : reader.GetBoolean(1) ? "has CREATEROLE (it could grant itself the schema owner's role)"
                : reader.GetBoolean(2) ? $"is, or is a member of, the role applying the schema ('{installer}')"
                : reader.GetBoolean(3) ? $"owns database '{database}' (directly or through a role it belongs to), so it could drop the database and every table of its schema"
                : reader.GetBoolean(4) ? $"owns schema '{schema}' (directly or through a role it belongs to), so it could drop every table in it"
                : null;
            if (reason is not null)
            {
                throw new InvalidOperationException(
                    $"the runtime role '{role}' {reason}: it could still disable the audit triggers or drop the audit tables. " +
                    "Nodes must log in as a role that is neither a superuser nor the schema's owner (docs/audit.md, \"Privileges\")");
            }
        }

        const string ForeignSql = $"""
            SELECT c.relname::text, pg_get_userbyid(c.relowner)
              FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'S') AND {OursFilter}
               AND NOT pg_has_role(current_user, c.relowner, 'USAGE')
            UNION ALL
            SELECT p.oid::regprocedure::text, pg_get_userbyid(p.proowner)
              FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname = current_schema() AND starts_with(p.proname::text, 'orleansgate')
               AND NOT pg_has_role(current_user, p.proowner, 'USAGE')
             ORDER BY 1
            """;
        var foreign = new List<(string Name, string Owner)>();
        await using (var command = new NpgsqlCommand(ForeignSql, connection, transaction))
        {
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                foreign.Add((reader.GetString(0), reader.GetString(1)));
            }
        }

        if (foreign.Count > 0)
        {
            var owners = foreign.Select(f => f.Owner).Distinct(StringComparer.Ordinal).ToList();
            var listed = string.Join(", ", foreign.Take(8).Select(f => $"{f.Name} (owned by {f.Owner})")) + (foreign.Count > 8 ? $", … ({foreign.Count} in all)" : "");
            var fix = string.Join("; ", owners.Select(o => $"REASSIGN OWNED BY \"{o}\" TO \"{installer}\""));
            throw new InvalidOperationException(
                $"objects of the schema belong to other roles: {listed}. The schema owner must own all of them " +
                $"(a node role that owns the audit tables can disable their triggers). As a superuser, connected to this database: {fix}; then run schema apply again");
        }
    }

    /// <summary>
    /// Grants <paramref name="role"/> what a node needs and proves it holds no more on the audit relations
    /// (a privilege held through PUBLIC or another role survives a REVOKE here). Returns the audit relations.
    /// </summary>
    public static async Task<IReadOnlyList<string>> GrantAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string role, CancellationToken ct)
    {
        // Transaction-local, so the name never outlives this apply; the script formats it with %I only.
        await using (var setting = new NpgsqlCommand("SELECT set_config('orleansgate.runtime_role', $1, true)", connection, transaction))
        {
            setting.Parameters.Add(new NpgsqlParameter<string> { TypedValue = role });
            await setting.ExecuteNonQueryAsync(ct);
        }

        await using (var grant = new NpgsqlCommand(LoadGrantScript(), connection, transaction))
        {
            await grant.ExecuteNonQueryAsync(ct);
        }

        const string CheckSql = $"""
            SELECT c.relname::text,
                   CASE WHEN c.relkind = 'S' THEN has_sequence_privilege($1::name, c.oid, 'USAGE')
                        ELSE has_table_privilege($1::name, c.oid, 'SELECT') AND has_table_privilege($1::name, c.oid, 'INSERT') END,
                   array_remove(ARRAY[
                       CASE WHEN c.relkind <> 'S' AND has_table_privilege($1::name, c.oid, 'UPDATE') THEN 'UPDATE' END,
                       CASE WHEN c.relkind <> 'S' AND has_table_privilege($1::name, c.oid, 'DELETE') THEN 'DELETE' END,
                       CASE WHEN c.relkind <> 'S' AND has_table_privilege($1::name, c.oid, 'TRUNCATE') THEN 'TRUNCATE' END,
                       CASE WHEN c.relkind <> 'S' AND has_table_privilege($1::name, c.oid, 'TRIGGER') THEN 'TRIGGER' END,
                       CASE WHEN c.relkind = 'S' AND has_sequence_privilege($1::name, c.oid, 'UPDATE') THEN 'UPDATE (setval)' END
                   ], NULL)
              FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'S') AND starts_with(c.relname::text, '{AuditPrefix}')
             ORDER BY 1
            """;
        var relations = new List<string>();
        var problems = new List<string>();
        await using (var check = new NpgsqlCommand(CheckSql, connection, transaction))
        {
            check.Parameters.Add(new NpgsqlParameter<string> { TypedValue = role });
            await using var reader = await check.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var name = reader.GetString(0);
                relations.Add(name);
                if (!reader.GetBoolean(1))
                {
                    problems.Add($"it cannot append to or read {name}");
                }

                var excess = reader.GetFieldValue<string[]>(2);
                if (excess.Length > 0)
                {
                    problems.Add($"it can still {string.Join(", ", excess)} {name}");
                }
            }
        }

        if (problems.Count > 0)
        {
            throw new InvalidOperationException(
                $"after the grants the runtime role '{role}' does not hold exactly INSERT and SELECT on the audit tables: {string.Join("; ", problems)}. " +
                "A privilege it holds through PUBLIC or a role it belongs to (e.g. pg_write_all_data) is not removed by schema apply: revoke it, then run schema apply again");
        }

        return relations;
    }

    /// <summary>
    /// The audit tables the connected role could alter (so disable their triggers, then rewrite or delete records),
    /// and why; empty when it can only append and read, as a node's role should.
    /// </summary>
    public static async Task<(IReadOnlyList<string> Tables, string Why)> FindAlterableAuditTablesAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken ct)
    {
        const string Sql = $"""
            SELECT c.relname::text, r.rolsuper, c.relowner = r.oid, pg_get_userbyid(c.relowner)
              FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, pg_roles r
             WHERE r.rolname = current_user AND n.nspname = current_schema() AND c.relkind IN ('r', 'p')
               AND starts_with(c.relname::text, '{AuditPrefix}')
               AND (r.rolsuper OR pg_has_role(r.oid, c.relowner, 'MEMBER'))
             ORDER BY 1
            """;
        var tables = new List<string>();
        var why = "";
        await using var command = new NpgsqlCommand(Sql, connection, transaction);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            tables.Add(reader.GetString(0));
            why = reader.GetBoolean(1) ? "it is a superuser"
                : reader.GetBoolean(2) ? "it owns them"
                : $"it is a member of their owner '{reader.GetString(3)}'";
        }

        return (tables, why);
    }

    private static string LoadGrantScript()
    {
        using var stream = typeof(RuntimeRolePrivileges).Assembly.GetManifestResourceStream(GrantResource)
            ?? throw new InvalidOperationException($"the embedded script {GrantResource} is missing from {typeof(RuntimeRolePrivileges).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true));
        return reader.ReadToEnd();
    }
}
