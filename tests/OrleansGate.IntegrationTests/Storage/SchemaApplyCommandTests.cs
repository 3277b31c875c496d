using System.Runtime.Versioning;
using System.Text.Json.Nodes;
using OrleansGate.Grains.Storage;
using OrleansGate.Host.Commands;
using OrleansGate.IntegrationTests.Infrastructure;

namespace OrleansGate.IntegrationTests.Storage;

/// <summary><c>orleansgate schema apply</c>, run as an operator runs it, against a real PostgreSQL with two roles.</summary>
[Collection(PostgresCollection.Name)]
public sealed class SchemaApplyCommandTests(PostgresFixture fixture)
{
    /// <summary>Owners, privileges and the recorded scripts of everything the schema holds: what an apply may change.</summary>
    private const string Snapshot = """
        SELECT coalesce(string_agg(c.relname || '@' || pg_get_userbyid(c.relowner) || '=' || coalesce(c.relacl::text, ''), ';' ORDER BY c.relname), '')
               || '|' || coalesce((SELECT string_agg(script || ':' || sha256 || ':' || applied_at::text, ';' ORDER BY script) FROM orleansgate_schema_version), '')
          FROM pg_class c WHERE c.relkind IN ('r', 'p', 'S') AND (c.relname LIKE 'orleans%')
        """;

    [Fact]
    public async Task Schema_apply_run_twice_runs_each_script_once_leaves_the_same_grants_and_never_prints_the_owner_password()
    {
        var db = await TwoRoleDatabase.CreateAsync(fixture.Postgres, "cmd_twice");
        var file = db.WriteOwnerConnectionFile();
        string[] args = ["schema", "apply", "--owner-connection-string-file", file, "--runtime-role", db.RuntimeRole];

        var first = await RunAsync(args);
        var after1 = (await TwoRoleDatabase.QueryAsync<string>(db.OwnerConnectionString, Snapshot)).Single();
        var second = await RunAsync(args);
        var after2 = (await TwoRoleDatabase.QueryAsync<string>(db.OwnerConnectionString, Snapshot)).Single();

        var scripts = SchemaScript.LoadEmbedded();
        Assert.Equal(0, first.Code);
        Assert.Equal(
            $"schema applied on database '{db.Database}' at 127.0.0.1:{fixture.Postgres.Port} as '{db.OwnerRole}': ran " +
            string.Join(", ", scripts.Select(s => $"{s.Name} (new)")) + "; 0 scripts already current",
            first.Stdout.Split('\n')[0]);
        Assert.StartsWith(
            $"runtime role '{db.RuntimeRole}' may append to and read orleansgate_audit, orleansgate_audit_seq, orleansgate_audit_signature (no UPDATE",
            first.Stdout.Split('\n')[1], StringComparison.Ordinal);
        Assert.Equal(0, second.Code);
        Assert.Contains($"no script run; {scripts.Count} scripts already current", second.Stdout, StringComparison.Ordinal);
        Assert.Equal(after1, after2);
        Assert.Contains($"orleansgate_audit@{db.OwnerRole}=", after1, StringComparison.Ordinal);
        Assert.Contains($"{db.RuntimeRole}=ar/{db.OwnerRole}", after1, StringComparison.Ordinal);
        Assert.DoesNotContain("@" + db.RuntimeRole, after1, StringComparison.Ordinal);
        foreach (var output in new[] { first.Stdout, first.Stderr, second.Stdout, second.Stderr })
        {
            Assert.DoesNotContain(db.OwnerPassword, output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Schema_apply_takes_the_runtime_role_from_the_state_database_user_of_the_configuration()
    {
        var db = await TwoRoleDatabase.CreateAsync(fixture.Postgres, "cmd_config");
        var config = WriteConfig(new JsonObject { ["StateDatabase"] = db.RuntimeConnectionString });

        var result = await RunAsync(["--config", config, "schema", "apply", "--owner-connection-string-file", db.WriteOwnerConnectionFile()]);

        Assert.Equal(0, result.Code);
        Assert.Contains($"runtime role '{db.RuntimeRole}' may append to and read", result.Stdout, StringComparison.Ordinal);
        Assert.Equal(
            [true, true, false],
            await TwoRoleDatabase.QueryAsync<bool>(
                db.OwnerConnectionString,
                $"SELECT has_table_privilege('{db.RuntimeRole}', 'orleansgate_audit', p) FROM unnest(ARRAY['INSERT', 'SELECT', 'UPDATE']) WITH ORDINALITY AS u(p, n) ORDER BY n"));
        Assert.DoesNotContain(db.RuntimePassword, result.Stdout + result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Schema_apply_with_audit_store_installs_only_the_audit_scripts_and_makes_them_append_only_for_the_audit_user()
    {
        var db = await TwoRoleDatabase.CreateAsync(fixture.Postgres, "cmd_audit");
        var config = WriteConfig(new JsonObject { ["Audit"] = new JsonObject { ["ConnectionString"] = db.RuntimeConnectionString } });

        var result = await RunAsync(["--config", config, "schema", "apply", "--audit-store", "--owner-connection-string-file", db.WriteOwnerConnectionFile()]);

        Assert.Equal(0, result.Code);
        var recorded = await TwoRoleDatabase.QueryAsync<string>(db.OwnerConnectionString, "SELECT script FROM orleansgate_schema_version ORDER BY 1");
        Assert.Equal(SchemaScript.LoadEmbedded().Where(s => s.Name.StartsWith('9')).Select(s => s.Name), recorded);
        Assert.Empty(await TwoRoleDatabase.QueryAsync<string>(db.OwnerConnectionString, "SELECT relname::text FROM pg_class WHERE relname IN ('orleansquery', 'orleansgate_cluster')"));
        Assert.Equal(
            [true, false, false],
            await TwoRoleDatabase.QueryAsync<bool>(
                db.OwnerConnectionString,
                $"SELECT has_table_privilege('{db.RuntimeRole}', 'orleansgate_audit_signature', p) FROM unnest(ARRAY['INSERT', 'DELETE', 'TRUNCATE']) WITH ORDINALITY AS u(p, n) ORDER BY n"));
    }

    [Fact]
    [SupportedOSPlatform("linux")]
    public async Task Schema_apply_refuses_an_owner_connection_file_other_users_can_read_without_echoing_it_and_changes_nothing()
    {
        var db = await TwoRoleDatabase.CreateAsync(fixture.Postgres, "cmd_mode");
        var file = db.WriteOwnerConnectionFile();
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var error = await Assert.ThrowsAsync<CommandLineException>(
            () => RunAsync(["schema", "apply", "--owner-connection-string-file", file, "--runtime-role", db.RuntimeRole]));

        Assert.Equal($"owner connection string file '{file}' is open to other users (mode 0644); it holds the schema owner's password: chmod 600 it", error.Message);
        Assert.Empty(await TwoRoleDatabase.QueryAsync<string>(db.OwnerConnectionString, "SELECT relname::text FROM pg_class WHERE relname LIKE 'orleans%'"));
    }

    private static async Task<(int Code, string Stdout, string Stderr)> RunAsync(string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await CommandLine.RunAsync(args, stdout, stderr, CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static string WriteConfig(JsonObject gateway)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("orleansgate-config-").FullName, "orleansgate.json");
        File.WriteAllText(path, new JsonObject { ["OrleansGate"] = gateway }.ToJsonString());
        return path;
    }
}
