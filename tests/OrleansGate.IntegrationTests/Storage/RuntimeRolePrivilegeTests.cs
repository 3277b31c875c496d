using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using OrleansGate.Grains.Storage;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.IntegrationTests.Infrastructure;

namespace OrleansGate.IntegrationTests.Storage;

/// <summary>
/// The runtime role after <c>schema apply</c> (docs/audit.md, "Privileges"): it may append to and read every
/// <c>orleansgate_audit*</c> table and nothing more, whatever it tries, while the Orleans tables stay writable.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class RuntimeRolePrivilegeTests(PostgresFixture fixture)
{
    /// <summary>What an insider holding the runtime role's password tries on each audit table; {0} is the table, {1} a column, {2} the role.</summary>
    private static readonly string[] TableAttacks =
    [
        "UPDATE {0} SET {1} = {1}",
        "DELETE FROM {0}",
        "TRUNCATE {0}",
        "ALTER TABLE {0} DISABLE TRIGGER USER",
        "ALTER TABLE {0} OWNER TO {2}",
        "DROP TABLE {0}",
    ];

    [Fact]
    public async Task Runtime_role_is_refused_update_delete_truncate_disable_trigger_owner_to_and_drop_on_every_audit_table_with_42501()
    {
        var db = await AppliedAsync("priv_tables");

        var tables = await AuditTablesAsync(db);

        Assert.Contains("orleansgate_audit", tables);
        Assert.Contains("orleansgate_audit_signature", tables);
        await AssertAppendOnlyAsync(db, tables);
    }

    [Fact]
    public async Task Runtime_role_is_refused_session_replication_role_replica_and_setval_on_every_audit_sequence_with_42501()
    {
        var db = await AppliedAsync("priv_session");
        var sequences = await TwoRoleDatabase.QueryAsync<string>(
            db.OwnerConnectionString, "SELECT relname::text FROM pg_class WHERE relkind = 'S' AND starts_with(relname::text, 'orleansgate_audit') ORDER BY 1");
        Assert.Contains("orleansgate_audit_seq", sequences);

        await using var connection = new NpgsqlConnection(db.RuntimeConnectionString);
        await connection.OpenAsync();
        var replica = await RefusedAsync(connection, "SET session_replication_role = replica");
        Assert.Contains("session_replication_role", replica.MessageText, StringComparison.Ordinal);
        foreach (var sequence in sequences)
        {
            var setval = await RefusedAsync(connection, $"SELECT setval('{sequence}', 1)");
            Assert.Equal($"permission denied for sequence {sequence}", setval.MessageText);

            // nextval stays allowed: the seq column's default needs it for every insert.
            var next = await ScalarAsync(connection, $"SELECT nextval('{sequence}')");
            Assert.True(next >= 1);
        }
    }

    [Fact]
    public async Task Runtime_role_inserts_into_and_selects_from_every_audit_table()
    {
        var db = await AppliedAsync("priv_append");

        var tables = await AuditTablesAsync(db);
        await InsertOneRowEachAsync(db, tables);

        Assert.All(await CountsAsync(db, tables), count => Assert.Equal(1, count));
        var seqs = await TwoRoleDatabase.QueryAsync<long>(db.RuntimeConnectionString, "SELECT seq FROM orleansgate_audit");
        Assert.True(seqs.Single() >= 1);
    }

    [Fact]
    public async Task Runtime_role_keeps_dml_on_the_orleans_tables_and_may_only_read_the_query_catalogue_and_schema_version()
    {
        var db = await AppliedAsync("priv_orleans");

        await using var connection = new NpgsqlConnection(db.RuntimeConnectionString);
        await connection.OpenAsync();
        foreach (var table in new[] { "orleansgate_cluster", "orleansgate_cluster_member", "orleansgate_grain_state", "orleansgate_reminder" })
        {
            var granted = await ScalarAsync(
                connection,
                $"SELECT count(*) FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']) p WHERE has_table_privilege(current_user, '{table}', p)");
            Assert.Equal(4, granted);
        }

        Assert.True(await ScalarAsync(connection, "SELECT count(*) FROM orleansquery") > 0);
        Assert.True(await ScalarAsync(connection, "SELECT count(*) FROM orleansgate_schema_version") > 0);
        var rewrite = await RefusedAsync(connection, "UPDATE orleansquery SET querytext = querytext");
        Assert.Equal("permission denied for table orleansquery", rewrite.MessageText);
        var version = await RefusedAsync(connection, "DELETE FROM orleansgate_schema_version");
        Assert.Equal("permission denied for table orleansgate_schema_version", version.MessageText);
        var create = await RefusedAsync(connection, "CREATE TABLE orleansgate_audit_shadow (v int)");
        Assert.Equal("permission denied for schema public", create.MessageText);
    }

    [Fact]
    public async Task An_audit_table_added_by_a_later_script_is_append_only_for_the_runtime_role_without_further_change()
    {
        var db = await TwoRoleDatabase.CreateAsync(fixture.Postgres, "priv_added");
        var later = SchemaScript.FromBytes("950_signature_probe.sql", Encoding.UTF8.GetBytes(
            "CREATE TABLE IF NOT EXISTS orleansgate_audit_signature (writer text NOT NULL, signature text NOT NULL);\n"));
        var scripts = SchemaScript.LoadEmbedded().Append(later).ToList();

        await new SchemaInstaller(db.OwnerConnectionString, NullLogger<SchemaInstaller>.Instance, scripts).ApplyAsOwnerAsync(db.RuntimeRole, CancellationToken.None);

        var tables = await AuditTablesAsync(db);
        Assert.Contains("orleansgate_audit_signature", tables);
        await AssertAppendOnlyAsync(db, tables);
        Assert.Equal(1, (await TwoRoleDatabase.QueryAsync<long>(db.RuntimeConnectionString, "SELECT count(*) FROM orleansgate_audit_signature")).Single());
    }

    [Theory]
    [InlineData("ALTER ROLE {runtime} SUPERUSER", "is a superuser")]
    [InlineData("ALTER ROLE {runtime} CREATEROLE", "has CREATEROLE")]
    [InlineData("GRANT {owner} TO {runtime}", "is, or is a member of, the role applying the schema")]
    [InlineData("ALTER DATABASE {database} OWNER TO {runtime}", "owns database")]
    public async Task Apply_as_owner_refuses_a_runtime_role_that_could_still_control_the_audit_and_changes_nothing(string setup, string reason)
    {
        var db = await TwoRoleDatabase.CreateAsync(fixture.Postgres, "priv_refuse");
        await fixture.Postgres.ExecuteAsync("postgres", setup.Replace("{runtime}", db.RuntimeRole, StringComparison.Ordinal)
            .Replace("{owner}", db.OwnerRole, StringComparison.Ordinal).Replace("{database}", db.Database, StringComparison.Ordinal));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => new SchemaInstaller(db.OwnerConnectionString, NullLogger<SchemaInstaller>.Instance).ApplyAsOwnerAsync(db.RuntimeRole, CancellationToken.None));

        Assert.Contains($"the runtime role '{db.RuntimeRole}' {reason}", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(db.OwnerPassword, error.ToString(), StringComparison.Ordinal);
        var ours = await TwoRoleDatabase.QueryAsync<long>(db.OwnerConnectionString, "SELECT count(*) FROM pg_class WHERE relname LIKE 'orleans%'");
        Assert.Equal(0, ours.Single());
    }

    [Fact]
    public async Task A_single_role_install_is_taken_over_by_the_owner_after_the_reassign_the_refusal_names()
    {
        // The old deploy/local/up.sh: the node's own role created and owned every table.
        var db = await TwoRoleDatabase.CreateAsync(fixture.Postgres, "priv_migrate");
        await fixture.Postgres.ExecuteAsync(db.Database, $"GRANT CREATE ON SCHEMA public TO \"{db.RuntimeRole}\"");
        await new SchemaInstaller(db.RuntimeConnectionString, NullLogger<SchemaInstaller>.Instance).ApplyAsync(CancellationToken.None);
        await fixture.Postgres.ExecuteAsync(db.Database, $"REVOKE CREATE ON SCHEMA public FROM \"{db.RuntimeRole}\"");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => new SchemaInstaller(db.OwnerConnectionString, NullLogger<SchemaInstaller>.Instance).ApplyAsOwnerAsync(db.RuntimeRole, CancellationToken.None));

        Assert.True(error.Message.Contains($"orleansgate_audit (owned by {db.RuntimeRole})", StringComparison.Ordinal), error.Message);
        var fix = $"REASSIGN OWNED BY \"{db.RuntimeRole}\" TO \"{db.OwnerRole}\"";
        Assert.Contains(fix, error.Message, StringComparison.Ordinal);

        await fixture.Postgres.ExecuteAsync(db.Database, fix);
        await new SchemaInstaller(db.OwnerConnectionString, NullLogger<SchemaInstaller>.Instance).ApplyAsOwnerAsync(db.RuntimeRole, CancellationToken.None);
        await AssertAppendOnlyAsync(db, await AuditTablesAsync(db));
    }

    [Fact]
    public async Task Node_start_as_the_runtime_role_on_a_current_schema_succeeds_without_ddl_and_without_a_warning()
    {
        var db = await AppliedAsync("priv_start");
        const string Snapshot = "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE r.rolname = current_user";
        var log = CapturedLog.Standalone();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(log).SetMinimumLevel(LogLevel.Trace));

        await new SchemaInstaller(db.RuntimeConnectionString, loggers.CreateLogger<SchemaInstaller>()).ApplyAsync(CancellationToken.None);

        Assert.Equal(0, (await TwoRoleDatabase.QueryAsync<long>(db.RuntimeConnectionString, Snapshot)).Single());
        Assert.DoesNotContain(log.Since(0), e => e.Level >= LogLevel.Warning);
        Assert.Contains(log.Since(0), e => e.Message.StartsWith("State database schema is up to date", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Node_start_as_the_runtime_role_on_an_outdated_schema_refuses_naming_the_due_scripts_and_the_schema_apply_command()
    {
        var db = await AppliedAsync("priv_outdated");
        var changed = SchemaScript.LoadEmbedded()
            .Select(s => s.Name == "900_audit.sql" ? SchemaScript.FromBytes(s.Name, Encoding.UTF8.GetBytes(s.Text + "\n-- changed\n")) : s)
            .ToList();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => new SchemaInstaller(db.RuntimeConnectionString, NullLogger<SchemaInstaller>.Instance, changed).ApplyAsync(CancellationToken.None));

        Assert.StartsWith($"The schema on database '{db.Database}' at 127.0.0.1:{fixture.Postgres.Port} as '{db.RuntimeRole}' is outdated (scripts due: 900_audit.sql (changed))", error.Message, StringComparison.Ordinal);
        Assert.Contains($"and role '{db.RuntimeRole}' may not change it (42501: ", error.Message, StringComparison.Ordinal);
        Assert.Contains($"As the schema owner, run: orleansgate schema apply --owner-connection-string-file FILE --runtime-role {db.RuntimeRole} (docs/audit.md", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(db.RuntimePassword, error.ToString(), StringComparison.Ordinal);
        var recorded = await TwoRoleDatabase.QueryAsync<string>(db.OwnerConnectionString, "SELECT sha256 FROM orleansgate_schema_version WHERE script = '900_audit.sql'");
        Assert.Equal(SchemaScript.LoadEmbedded().Single(s => s.Name == "900_audit.sql").Sha256, recorded.Single());
    }

    [Fact]
    public async Task Node_start_as_the_owner_of_the_audit_tables_logs_one_warning_that_it_can_disable_their_triggers()
    {
        var db = await TwoRoleDatabase.CreateAsync(fixture.Postgres, "priv_single");
        var log = CapturedLog.Standalone();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(log));

        await new SchemaInstaller(db.OwnerConnectionString, loggers.CreateLogger<SchemaInstaller>()).ApplyAsync(CancellationToken.None);

        var warning = Assert.Single(log.Since(0), e => e.Level >= LogLevel.Warning);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Equal(
            $"The gateway's database role {db.OwnerRole} can alter the audit tables (orleansgate_audit, orleansgate_audit_signature; it owns them), " +
            "so it can disable their triggers and then rewrite or delete audit records. Run the nodes as a runtime role that may only insert and read them: " +
            "see docs/audit.md, \"Privileges\"",
            warning.Message);
    }

    private async Task<TwoRoleDatabase> AppliedAsync(string prefix)
    {
        var db = await TwoRoleDatabase.CreateAsync(fixture.Postgres, prefix);
        await new SchemaInstaller(db.OwnerConnectionString, NullLogger<SchemaInstaller>.Instance).ApplyAsOwnerAsync(db.RuntimeRole, CancellationToken.None);
        return db;
    }

    /// <summary>
    /// The runtime role appends a row to every table, then every attack on every table is refused by a privilege
    /// check (42501 "permission denied" or "must be owner"), not by the append-only trigger, which an owner could
    /// switch off; afterwards the tables, their rows, owners and triggers are as they were.
    /// </summary>
    private static async Task AssertAppendOnlyAsync(TwoRoleDatabase db, IReadOnlyList<string> tables)
    {
        const string State = """
            SELECT string_agg(c.relname || ':' || pg_get_userbyid(c.relowner) || ':'
                              || coalesce((SELECT string_agg(t.tgname || '=' || t.tgenabled::text, ',' ORDER BY t.tgname) FROM pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal), ''),
                              ';' ORDER BY c.relname)
              FROM pg_class c WHERE c.relkind = 'r' AND starts_with(c.relname::text, 'orleansgate_audit')
            """;
        await InsertOneRowEachAsync(db, tables);
        var before = (await TwoRoleDatabase.QueryAsync<string>(db.OwnerConnectionString, State)).Single();
        var counts = await CountsAsync(db, tables);
        Assert.All(counts, count => Assert.True(count > 0));

        await using var connection = new NpgsqlConnection(db.RuntimeConnectionString);
        await connection.OpenAsync();
        foreach (var table in tables)
        {
            var column = (await TwoRoleDatabase.QueryAsync<string>(
                db.OwnerConnectionString, $"SELECT attname::text FROM pg_attribute WHERE attrelid = '{table}'::regclass AND attnum = 1")).Single();
            foreach (var attack in TableAttacks)
            {
                var sql = string.Format(CultureInfo.InvariantCulture, attack, table, column, db.RuntimeRole);
                var refused = await RefusedAsync(connection, sql);
                Assert.True(
                    refused.MessageText == $"permission denied for table {table}" || refused.MessageText == $"must be owner of table {table}",
                    $"{sql}: {refused.MessageText}");
            }
        }

        Assert.Equal(before, (await TwoRoleDatabase.QueryAsync<string>(db.OwnerConnectionString, State)).Single());
        Assert.Equal(counts, await CountsAsync(db, tables));
        Assert.DoesNotContain("=D", before, StringComparison.Ordinal);
    }

    /// <summary>
    /// As the runtime role, one row into each table, built from the catalogue (a value for every NOT NULL column
    /// without a default), so tables added later by other scripts are exercised too; defaults such as the audit
    /// seq's nextval run as that role.
    /// </summary>
    private static async Task InsertOneRowEachAsync(TwoRoleDatabase db, IReadOnlyList<string> tables)
    {
        await using var connection = new NpgsqlConnection(db.RuntimeConnectionString);
        await connection.OpenAsync();
        foreach (var table in tables)
        {
            var insert = (await TwoRoleDatabase.QueryAsync<string>(db.OwnerConnectionString, $$"""
                SELECT format('INSERT INTO %I (%s) VALUES (%s)', '{{table}}',
                              string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum),
                              string_agg(CASE WHEN t.typname IN ('json', 'jsonb') THEN '''{}''' WHEN t.typcategory = 'A' THEN '''{}'''
                                              WHEN t.typcategory = 'D' THEN 'now()' WHEN t.typcategory = 'N' THEN '1'
                                              WHEN t.typcategory = 'B' THEN 'true' ELSE quote_literal(a.attname) END
                                         || '::' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum))
                  FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
                 WHERE a.attrelid = '{{table}}'::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.attnotnull AND NOT a.atthasdef
                """)).Single();
            await ExecuteAsync(connection, insert);
        }
    }

    private static async Task<List<long>> CountsAsync(TwoRoleDatabase db, IReadOnlyList<string> tables)
    {
        var counts = new List<long>();
        foreach (var table in tables)
        {
            counts.Add((await TwoRoleDatabase.QueryAsync<long>(db.OwnerConnectionString, $"SELECT count(*) FROM {table}")).Single());
        }

        return counts;
    }

    private static async Task<List<string>> AuditTablesAsync(TwoRoleDatabase db) =>
        await TwoRoleDatabase.QueryAsync<string>(
            db.OwnerConnectionString,
            "SELECT relname::text FROM pg_class WHERE relkind IN ('r', 'p') AND starts_with(relname::text, 'orleansgate_audit') ORDER BY 1");

    private static async Task<PostgresException> RefusedAsync(NpgsqlConnection connection, string sql)
    {
        var error = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(connection, sql));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
        return error;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<long> ScalarAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }
}
