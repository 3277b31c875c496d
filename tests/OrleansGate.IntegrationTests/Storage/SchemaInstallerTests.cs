using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using OrleansGate.Grains.Storage;
using OrleansGate.IntegrationTests.Infrastructure;

namespace OrleansGate.IntegrationTests.Storage;

[Collection(PostgresCollection.Name)]
public sealed class SchemaInstallerTests(PostgresFixture fixture)
{
    /// <summary>
    /// Every key the Orleans 10.4 ADO.NET providers look up in OrleansQuery. Clustering, persistence and reminders
    /// refuse to start when one of theirs is missing; CleanupDefunctSiloEntryKey and DeleteStorageKey are optional
    /// there, but we ship them (the first is preferred when present, the second backs DeleteStateOnClear).
    /// </summary>
    private static readonly string[] ProviderQueryKeys =
    [
        "GatewaysQueryKey",
        "MembershipReadRowKey",
        "MembershipReadAllKey",
        "InsertMembershipVersionKey",
        "UpdateIAmAlivetimeKey",
        "InsertMembershipKey",
        "UpdateMembershipKey",
        "DeleteMembershipTableEntriesKey",
        "CleanupDefunctSiloEntriesKey",
        "CleanupDefunctSiloEntryKey",
        "ReadFromStorageKey",
        "WriteToStorageKey",
        "ClearStorageKey",
        "DeleteStorageKey",
        "ReadReminderRowsKey",
        "ReadRangeRows1Key",
        "ReadRangeRows2Key",
        "ReadReminderRowKey",
        "UpsertReminderRowKey",
        "DeleteReminderRowKey",
        "DeleteReminderRowsKey",
    ];

    private TempPostgres Postgres => fixture.Postgres;

    [Fact]
    public async Task Apply_on_an_empty_database_installs_every_query_key_the_providers_look_up_and_records_each_script()
    {
        var (connectionString, _) = await NewDatabaseAsync("schema_fresh");

        await Installer(connectionString).ApplyAsync(CancellationToken.None);

        var keys = await QueryAsync(connectionString, "SELECT querykey FROM orleansquery ORDER BY 1", r => r.GetString(0));
        Assert.Equal(ProviderQueryKeys.Order(StringComparer.Ordinal), keys.Order(StringComparer.Ordinal));

        var recorded = await QueryAsync(connectionString, "SELECT script, sha256 FROM orleansgate_schema_version ORDER BY 1", r => (r.GetString(0), r.GetString(1)));
        var embedded = SchemaScript.LoadEmbedded();
        Assert.Equal(embedded.Select(s => (s.Name, s.Sha256)), recorded);
        Assert.Equal(SqlFilesInRepository(), embedded.Select(s => s.Name));
        foreach (var script in embedded)
        {
            var file = await File.ReadAllBytesAsync(Path.Combine(SqlFolder(), script.Name));
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(file)), script.Sha256);
        }
    }

    [Fact]
    public async Task Apply_a_second_time_runs_no_script()
    {
        var (connectionString, _) = await NewDatabaseAsync("schema_twice");
        await Installer(connectionString).ApplyAsync(CancellationToken.None);
        const string Snapshot = """
            SELECT 'v:' || script || ':' || applied_at::text || ':' || xmin::text FROM orleansgate_schema_version
            UNION ALL
            SELECT 'q:' || querykey || ':' || xmin::text FROM orleansquery
            ORDER BY 1
            """;
        var before = await QueryAsync(connectionString, Snapshot, r => r.GetString(0));

        await Installer(connectionString).ApplyAsync(CancellationToken.None);

        // Re-running a script would rewrite the OrleansQuery rows (ON CONFLICT DO UPDATE), giving them a new xmin.
        var after = await QueryAsync(connectionString, Snapshot, r => r.GetString(0));
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task Apply_from_several_tasks_at_once_succeeds_and_records_each_script_once()
    {
        var (connectionString, _) = await NewDatabaseAsync("schema_race");

        using var start = new Barrier(4);
        var runs = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            start.SignalAndWait(TimeSpan.FromSeconds(30));
            await Installer(connectionString).ApplyAsync(CancellationToken.None);
        }));
        await Task.WhenAll(runs);

        var recorded = await QueryAsync(connectionString, "SELECT script FROM orleansgate_schema_version", r => r.GetString(0));
        Assert.Equal(SchemaScript.LoadEmbedded().Select(s => s.Name).Order(StringComparer.Ordinal), recorded.Order(StringComparer.Ordinal));
        var keys = await QueryAsync(connectionString, "SELECT querykey FROM orleansquery", r => r.GetString(0));
        Assert.Equal(ProviderQueryKeys.Length, keys.Count);
    }

    [Fact]
    public async Task A_failing_script_rolls_back_the_whole_run_and_is_named_without_the_password()
    {
        var (connectionString, password) = await NewDatabaseAsync("schema_broken");
        var scripts = SchemaScript.LoadEmbedded().Append(Script("950_broken.sql", "CREATE TABLE IF NOT EXISTS orleansgate_fine (v int);\n\nCREATE TABLE orleansgate_broken (;\n")).ToList();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Installer(connectionString, scripts).ApplyAsync(CancellationToken.None));

        Assert.Contains("950_broken.sql", error.Message, StringComparison.Ordinal);
        Assert.Contains(PostgresErrorCodes.SyntaxError, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(password, error.ToString(), StringComparison.Ordinal);
        var leftovers = await QueryAsync(
            connectionString,
            "SELECT count(*) FROM pg_class WHERE relname IN ('orleansquery', 'orleansgate_schema_version', 'orleansgate_cluster', 'orleansgate_fine')",
            r => r.GetInt64(0));
        Assert.Equal(0, leftovers.Single());
    }

    [Fact]
    public async Task A_refused_login_is_reported_with_the_target_but_without_the_password()
    {
        var (connectionString, password) = await NewDatabaseAsync("schema_login");
        var wrongPassword = password + "-wrong";
        var wrong = new NpgsqlConnectionStringBuilder(connectionString) { Password = wrongPassword }.ConnectionString;

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Installer(wrong).ApplyAsync(CancellationToken.None));

        Assert.Contains(PostgresErrorCodes.InvalidPassword, error.Message, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{Postgres.Port}", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(wrongPassword, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_script_whose_text_changed_is_run_again_and_its_new_hash_recorded()
    {
        var (connectionString, _) = await NewDatabaseAsync("schema_changed");
        var first = Script("001_probe.sql", "CREATE TABLE IF NOT EXISTS probe_a (v int);");
        var second = Script("001_probe.sql", "CREATE TABLE IF NOT EXISTS probe_a (v int);\nCREATE TABLE IF NOT EXISTS probe_b (v int);");

        await Installer(connectionString, [first]).ApplyAsync(CancellationToken.None);
        await Installer(connectionString, [second]).ApplyAsync(CancellationToken.None);

        var tables = await QueryAsync(connectionString, "SELECT relname::text FROM pg_class WHERE relname LIKE 'probe\\_%' ORDER BY 1", r => r.GetString(0));
        Assert.Equal(["probe_a", "probe_b"], tables);
        var recorded = await QueryAsync(connectionString, "SELECT sha256 FROM orleansgate_schema_version WHERE script = '001_probe.sql'", r => r.GetString(0));
        Assert.Equal(second.Sha256, recorded.Single());
        Assert.NotEqual(first.Sha256, second.Sha256);
    }

    [Fact]
    public async Task Apply_through_a_data_source_logs_in_with_its_password()
    {
        var (connectionString, password) = await NewDatabaseAsync("schema_source");
        await using var dataSource = NpgsqlDataSource.Create(connectionString);

        // The reason for this constructor: a data source hands out its connection string without the password.
        Assert.DoesNotContain(password, dataSource.ConnectionString, StringComparison.Ordinal);
        await new SchemaInstaller(dataSource, NullLogger<SchemaInstaller>.Instance).ApplyAsync(CancellationToken.None);

        var keys = await QueryAsync(connectionString, "SELECT querykey FROM orleansquery", r => r.GetString(0));
        Assert.Equal(ProviderQueryKeys.Length, keys.Count);
    }

    /// <summary>A database owned by a fresh non-superuser role, as in production; returns its connection string and password.</summary>
    private async Task<(string ConnectionString, string Password)> NewDatabaseAsync(string prefix)
    {
        var role = $"{prefix}_owner_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";
        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        await Postgres.CreateRoleAsync(role, password);
        var database = await fixture.CreateDatabaseAsync(prefix);
        await Postgres.ExecuteAsync("postgres", $"ALTER DATABASE {database} OWNER TO {role}");
        return (Postgres.ConnectionString(database, role, password), password);
    }

    private static SchemaInstaller Installer(string connectionString, IReadOnlyList<SchemaScript>? scripts = null) =>
        scripts is null
            ? new SchemaInstaller(connectionString, NullLogger<SchemaInstaller>.Instance)
            : new SchemaInstaller(connectionString, NullLogger<SchemaInstaller>.Instance, scripts);

    private static SchemaScript Script(string name, string text) => SchemaScript.FromBytes(name, Encoding.UTF8.GetBytes(text));

    private static async Task<List<T>> QueryAsync<T>(string connectionString, string sql, Func<NpgsqlDataReader, T> read)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync())
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    private static IEnumerable<string> SqlFilesInRepository() =>
        Directory.GetFiles(SqlFolder(), "*.sql").Select(Path.GetFileName).Order(StringComparer.Ordinal)!;

    private static string SqlFolder()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "OrleansGate.sln")))
        {
            dir = dir.Parent;
        }

        return Path.Combine(dir?.FullName ?? throw new InvalidOperationException("repository root not found"), "src", "OrleansGate.Grains", "Storage", "Sql");
    }
}
