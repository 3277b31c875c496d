using System.Text;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace OrleansGate.Grains.Storage;

/// <summary>
/// Brings the gateway's state database to the schema this build expects: the tables, functions and
/// <c>OrleansQuery</c> rows the Orleans ADO.NET clustering, persistence and reminder providers need,
/// and the audit tables. Safe to run at every start, from every node at once.
/// </summary>
/// <remarks>
/// <code>
///  node A ─┐                           ┌─ read orleansgate_schema_version (script, sha256)
///  node B ─┼─ pg_advisory_xact_lock ───┤
///  node C ─┘    (one at a time)        └─ run the scripts it lacks or records with another hash
/// </code>
/// 1. One connection, one transaction; the advisory lock is taken first, so nodes starting together
///    queue instead of racing on DDL. The lock is released with the transaction, even if the process dies.
/// 2. The scripts (embedded <c>Storage/Sql/*.sql</c>, in name order) whose name and SHA-256 are already
///    recorded are skipped; the others run and are recorded. Every script is idempotent on its own, so a
///    script whose text changed since it was recorded is simply run again.
/// 3. Any failure rolls back the whole run: the database is left as it was, and the exception names the
///    script and carries PostgreSQL's error. The connection string's password never appears in it.
/// Scripts must not manage transactions themselves, nor use statements that cannot run inside one
/// (<c>CREATE INDEX CONCURRENTLY</c>, <c>CREATE DATABASE</c>).
/// </remarks>
public sealed partial class SchemaInstaller
{
    /// <summary>Advisory lock key every node agrees on: "OGSCHEMA" in ASCII.</summary>
    internal const long LockKey = 0x4F47_5343_4845_4D41;

    /// <summary>Waiting for another node's install is normal at a cluster start, so the lock gets longer than a statement.</summary>
    private const int LockTimeoutSeconds = 120;

    private readonly string? _connectionString;
    private readonly NpgsqlDataSource? _dataSource;
    private readonly ILogger<SchemaInstaller> _logger;
    private readonly IReadOnlyList<SchemaScript>? _scripts;

    public SchemaInstaller(string connectionString, ILogger<SchemaInstaller> logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentNullException.ThrowIfNull(logger);
        _connectionString = connectionString;
        _logger = logger;
    }

    /// <summary>
    /// Installs through an existing data source. Prefer this to passing <see cref="NpgsqlDataSource.ConnectionString"/>:
    /// that string has the password removed (unless Persist Security Info is set), so a login with it fails.
    /// </summary>
    public SchemaInstaller(NpgsqlDataSource dataSource, ILogger<SchemaInstaller> logger)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(logger);
        _dataSource = dataSource;
        _logger = logger;
    }

    /// <summary>For tests: installs <paramref name="scripts"/> instead of the embedded ones.</summary>
    internal SchemaInstaller(string connectionString, ILogger<SchemaInstaller> logger, IReadOnlyList<SchemaScript> scripts)
        : this(connectionString, logger)
    {
        _scripts = scripts;
    }

    public async Task ApplyAsync(CancellationToken ct)
    {
        var scripts = _scripts ?? SchemaScript.LoadEmbedded();
        var target = DescribeTarget(_dataSource?.ConnectionString ?? _connectionString!);

        await using var connection = await OpenAsync(target, ct);

        await using var transaction = await connection.BeginTransactionAsync(ct);
        Dictionary<string, string> applied;
        try
        {
            await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@key)", connection, transaction))
            {
                lockCommand.Parameters.AddWithValue("key", LockKey);
                lockCommand.CommandTimeout = LockTimeoutSeconds;
                await lockCommand.ExecuteNonQueryAsync(ct);
            }

            applied = await ReadAppliedAsync(connection, transaction, ct);
        }
        catch (NpgsqlException e)
        {
            throw new InvalidOperationException($"Cannot apply the state database schema on {target}: preparing the install failed: {Describe(e)}", e);
        }

        var ran = new List<(SchemaScript Script, string Reason)>();
        foreach (var script in scripts)
        {
            if (applied.TryGetValue(script.Name, out var sha) && sha == script.Sha256)
            {
                continue;
            }

            try
            {
                await using (var command = new NpgsqlCommand(script.Text, connection, transaction))
                {
                    await command.ExecuteNonQueryAsync(ct);
                }

                await RecordAsync(connection, transaction, script, ct);
            }
            catch (NpgsqlException e)
            {
                throw new InvalidOperationException(
                    $"Schema script {script.Name} failed on {target}: {Describe(e)}. Nothing from this run was applied.", e);
            }

            ran.Add((script, applied.ContainsKey(script.Name) ? "changed since last applied" : "new"));
        }

        await transaction.CommitAsync(ct);
        foreach (var (script, reason) in ran)
        {
            LogScriptApplied(script.Name, script.Sha256[..12], reason);
        }

        if (ran.Count == 0)
        {
            LogSchemaUpToDate(scripts.Count);
        }
    }

    private async Task<NpgsqlConnection> OpenAsync(string target, CancellationToken ct)
    {
        var connection = _dataSource?.CreateConnection() ?? new NpgsqlConnection(_connectionString);
        try
        {
            await connection.OpenAsync(ct);
            return connection;
        }
        catch (NpgsqlException e)
        {
            await connection.DisposeAsync();
            throw new InvalidOperationException($"Cannot apply the state database schema: connecting to {target} failed: {Describe(e)}", e);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private static async Task<Dictionary<string, string>> ReadAppliedAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken ct)
    {
        const string Sql = """
            CREATE TABLE IF NOT EXISTS orleansgate_schema_version
            (
                script     text        NOT NULL PRIMARY KEY,
                sha256     text        NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            );
            SELECT script, sha256 FROM orleansgate_schema_version;
            """;
        var applied = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var command = new NpgsqlCommand(Sql, connection, transaction);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            applied[reader.GetString(0)] = reader.GetString(1);
        }

        return applied;
    }

    private static async Task RecordAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, SchemaScript script, CancellationToken ct)
    {
        const string Sql = """
            INSERT INTO orleansgate_schema_version (script, sha256) VALUES (@script, @sha256)
            ON CONFLICT (script) DO UPDATE SET sha256 = excluded.sha256, applied_at = now()
            """;
        await using var command = new NpgsqlCommand(Sql, connection, transaction);
        command.Parameters.AddWithValue("script", script.Name);
        command.Parameters.AddWithValue("sha256", script.Sha256);
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Where the schema goes, for messages: host, port, database and user, never the password.</summary>
    private static string DescribeTarget(string connectionString)
    {
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            return $"database '{builder.Database}' at {builder.Host}:{builder.Port} as '{builder.Username}'";
        }
        catch (ArgumentException)
        {
            // An unparsable connection string is reported by OpenAsync; its text may hold a password, so it is not echoed.
            return "the configured state database";
        }
    }

    private static string Describe(NpgsqlException e)
    {
        if (e is not PostgresException pg)
        {
            return e.InnerException is null ? e.Message : $"{e.Message} ({e.InnerException.Message})";
        }

        var text = new StringBuilder().Append(pg.SqlState).Append(": ").Append(pg.MessageText);
        if (!string.IsNullOrEmpty(pg.Detail))
        {
            text.Append("; detail: ").Append(pg.Detail);
        }

        if (!string.IsNullOrEmpty(pg.Hint))
        {
            text.Append("; hint: ").Append(pg.Hint);
        }

        if (!string.IsNullOrEmpty(pg.Where))
        {
            text.Append("; where: ").Append(pg.Where);
        }

        if (pg.Position > 0)
        {
            // Npgsql runs a script statement by statement; the position counts characters within the failing one.
            text.Append("; at character ").Append(pg.Position).Append(" of the failing statement");
        }

        return text.ToString();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Schema script {Script} applied (sha256 {Sha256Prefix}, {Reason})")]
    private partial void LogScriptApplied(string script, string sha256Prefix, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "State database schema is up to date ({Count} scripts)")]
    private partial void LogSchemaUpToDate(int count);
}
