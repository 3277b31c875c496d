using System.Security.Cryptography;
using Npgsql;

namespace OrleansGate.IntegrationTests.Infrastructure;

/// <summary>
/// A database set up as production should be (docs/audit.md, "Privileges"): a schema owner that owns it and applies
/// the schema, and a runtime role for the nodes that owns nothing. Neither is a superuser; passwords are random.
/// </summary>
public sealed class TwoRoleDatabase
{
    private TwoRoleDatabase(TempPostgres postgres, string database, string ownerRole, string ownerPassword, string runtimeRole, string runtimePassword)
    {
        Postgres = postgres;
        Database = database;
        OwnerRole = ownerRole;
        OwnerPassword = ownerPassword;
        RuntimeRole = runtimeRole;
        RuntimePassword = runtimePassword;
    }

    public TempPostgres Postgres { get; }

    public string Database { get; }

    public string OwnerRole { get; }

    public string OwnerPassword { get; }

    public string RuntimeRole { get; }

    public string RuntimePassword { get; }

    public string OwnerConnectionString => Postgres.ConnectionString(Database, OwnerRole, OwnerPassword);

    public string RuntimeConnectionString => Postgres.ConnectionString(Database, RuntimeRole, RuntimePassword);

    /// <summary>Names unique in the cluster (roles are cluster-wide): <c>PREFIX_xxxxxx</c>, <c>PREFIX_owner_xxxxxx</c>, <c>PREFIX_runtime_xxxxxx</c>.</summary>
    public static Task<TwoRoleDatabase> CreateAsync(TempPostgres postgres, string prefix)
    {
        var suffix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
        return CreateAsync(postgres, $"{prefix}_{suffix}", $"{prefix}_owner_{suffix}", $"{prefix}_runtime_{suffix}");
    }

    /// <summary>Creates both roles (named as given: role names are cluster-wide) and the database, owned by the owner.</summary>
    public static async Task<TwoRoleDatabase> CreateAsync(TempPostgres postgres, string database, string ownerRole, string runtimeRole)
    {
        ArgumentNullException.ThrowIfNull(postgres);
        var ownerPassword = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var runtimePassword = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        await postgres.CreateRoleAsync(ownerRole, ownerPassword);
        await postgres.CreateRoleAsync(runtimeRole, runtimePassword);
        await postgres.CreateDatabaseAsync(database);
        await postgres.ExecuteAsync("postgres", $"ALTER DATABASE \"{database}\" OWNER TO \"{ownerRole}\"");
        return new TwoRoleDatabase(postgres, database, ownerRole, ownerPassword, runtimeRole, runtimePassword);
    }

    /// <summary>The owner's connection string in a file of mode 0600, as <c>schema apply</c> reads it.</summary>
    public string WriteOwnerConnectionFile()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("orleansgate-owner-").FullName, "owner.connection");
        File.WriteAllText(path, OwnerConnectionString);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return path;
    }

    /// <summary>Runs <paramref name="sql"/> as <paramref name="connectionString"/>'s user and returns the first column of each row.</summary>
    public static async Task<List<T>> QueryAsync<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync())
        {
            rows.Add(reader.GetFieldValue<T>(0));
        }

        return rows;
    }
}
