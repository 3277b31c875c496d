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
///    script whose text changed since it was recorded is simply run again. A current schema needs nothing but
///    SELECT on orleansgate_schema_version, so a node's runtime role, which may not change the schema, starts;
///    when scripts are due and that role may not run them, the error says to run <c>schema apply</c> as the owner.
/// 3. <see cref="ApplyAsOwnerAsync"/> (the <c>schema apply</c> command) then grants the runtime role what a node
///    needs and no more (<see cref="RuntimeRolePrivileges"/>), in the same transaction.
/// 4. Any failure rolls back the whole run: the database is left as it was, and the exception names the
///    script and carries PostgreSQL's error. The connection string's password never appears in it.
/// Scripts must not manage transactions themselves, nor use statements that cannot run inside one
/// (<c>CREATE INDEX CONCURRENTLY</c>, <c>CREATE DATABASE</c>).
/// </remarks>
public sealed partial class SchemaInstaller
{
    /// <summary>Advisory lock key every node agrees on: "OGSCHEMA" in ASCII.</summary>
    internal const long LockKey = 0x4F47_5343_4845_4D41;

    /// <summary>What a node whose role may not change the schema tells its operator to run.</summary>
    private const string ApplyCommand = "orleansgate schema apply --owner-connection-string-file FILE";

    /// <summary>Waiting for another node's install is normal at a cluster start, so the lock gets longer than a statement.</summary>
    private const int LockTimeoutSeconds = 120;

    private readonly string? _connectionString;
    private readonly NpgsqlDataSource? _dataSource;
    private readonly ILogger<SchemaInstaller> _logger;
    private readonly IReadOnlyList<SchemaScript>? _scripts;
    private readonly SchemaScope _scope;

    public SchemaInstaller(string connectionString, ILogger<SchemaInstaller> logger, SchemaScope scope = SchemaScope.State)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentNullException.ThrowIfNull(logger);
        _connectionString = connectionString;
        _logger = logger;
        _scope = scope;
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

    /// <summary>For tests and the audit store's gate: installs <paramref name="scripts"/> instead of the embedded ones.</summary>
    internal SchemaInstaller(string connectionString, ILogger<SchemaInstaller> logger, IReadOnlyList<SchemaScript> scripts)
        : this(connectionString, logger)
    {
        _scripts = scripts;
        _scope = scripts.All(s => s.Name.StartsWith('9')) ? SchemaScope.AuditStore : SchemaScope.State;
    }

    /// <summary>
    /// Whether <see cref="ApplyAsync"/> warns when the connected role could alter the audit tables (owner or
    /// superuser). Off for a state database whose audit goes to a separate store: its audit tables stay empty.
    /// </summary>
    public bool WarnWhenAuditIsAlterable { get; init; } = true;

    /// <summary>
    /// A node's start: installs what is missing or outdated when its role may, refuses precisely when it may not,
    /// and warns once when its role could disable the audit triggers (a single-role setup).
    /// </summary>
    public async Task ApplyAsync(CancellationToken ct) => await InstallAsync(runtimeRole: null, ct);

    /// <summary>
    /// <c>schema apply</c>: connected as the schema owner, installs what is missing or outdated, then grants
    /// <paramref name="runtimeRole"/> what a node needs: INSERT and SELECT only on every <c>orleansgate_audit*</c>
    /// table, USAGE on their sequences, normal DML on the Orleans tables.
    /// </summary>
    public async Task<SchemaApplyReport> ApplyAsOwnerAsync(string runtimeRole, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runtimeRole);
        return await InstallAsync(runtimeRole, ct);
    }

    private async Task<SchemaApplyReport> InstallAsync(string? runtimeRole, CancellationToken ct)
    {
        var scripts = _scripts ?? (_scope == SchemaScope.AuditStore ? SchemaScript.LoadAudit() : SchemaScript.LoadEmbedded());
        var target = DescribeTarget(_dataSource?.ConnectionString ?? _connectionString!);

        await using var connection = await OpenAsync(target, ct);

        await using var transaction = await connection.BeginTransactionAsync(ct);
        Dictionary<string, string>? applied;
        try
        {
            await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@key)", connection, transaction))
            {
                lockCommand.Parameters.AddWithValue("key", LockKey);
                lockCommand.CommandTimeout = LockTimeoutSeconds;
                await lockCommand.ExecuteNonQueryAsync(ct);
            }

            if (runtimeRole is not null)
            {
                // Before anything is read: after a single-role setup even the version table belongs to the old role.
                await RuntimeRolePrivileges.CheckRuntimeRoleAsync(connection, transaction, runtimeRole, ct);
            }

            applied = await ReadAppliedAsync(connection, transaction, ct);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege && runtimeRole is null)
        {
            throw NotPermitted(target, connection.UserName, "unreadable (the role may not read orleansgate_schema_version)", e);
        }
        catch (NpgsqlException e)
        {
            throw new InvalidOperationException($"Cannot apply the state database schema on {target}: preparing the install failed: {Describe(e)}", e);
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidOperationException($"Cannot apply the state database schema on {target}: {e.Message}. Nothing was changed.", e);
        }

        var pending = scripts.Where(s => applied is null || !applied.TryGetValue(s.Name, out var sha) || sha != s.Sha256).ToList();
        var ran = new List<(string Script, string Reason)>();
        if (pending.Count > 0 && applied is null)
        {
            try
            {
                await CreateVersionTableAsync(connection, transaction, ct);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege && runtimeRole is null)
            {
                throw NotPermitted(target, connection.UserName, "missing (no orleansgate_schema_version table)", e);
            }
            catch (NpgsqlException e)
            {
                throw new InvalidOperationException($"Cannot apply the state database schema on {target}: creating orleansgate_schema_version failed: {Describe(e)}", e);
            }
        }

        foreach (var script in pending)
        {
            try
            {
                await using (var command = new NpgsqlCommand(script.Text, connection, transaction))
                {
                    await command.ExecuteNonQueryAsync(ct);
                }

                await RecordAsync(connection, transaction, script, ct);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege && runtimeRole is null)
            {
                var due = string.Join(", ", pending.Select(s => $"{s.Name} ({(applied?.ContainsKey(s.Name) == true ? "changed" : "new")})"));
                throw NotPermitted(target, connection.UserName, applied is null ? "missing" : $"outdated (scripts due: {due})", e);
            }
            catch (NpgsqlException e)
            {
                throw new InvalidOperationException(
                    $"Schema script {script.Name} failed on {target}: {Describe(e)}. Nothing from this run was applied.", e);
            }

            ran.Add((script.Name, applied?.ContainsKey(script.Name) == true ? "changed since last applied" : "new"));
        }

        IReadOnlyList<string> auditRelations = [];
        (IReadOnlyList<string> Tables, string Why) alterable = ([], "");
        if (runtimeRole is not null)
        {
            auditRelations = await Checked(target, "granting the runtime role", () => RuntimeRolePrivileges.GrantAsync(connection, transaction, runtimeRole, ct));
        }
        else if (WarnWhenAuditIsAlterable)
        {
            alterable = await Checked(target, "reading the audit tables' owners", () => RuntimeRolePrivileges.FindAlterableAuditTablesAsync(connection, transaction, ct));
        }

        await transaction.CommitAsync(ct);
        foreach (var (script, reason) in ran)
        {
            LogScriptApplied(script, scripts.First(s => s.Name == script).Sha256[..12], reason);
        }

        if (ran.Count == 0)
        {
            LogSchemaUpToDate(scripts.Count);
        }

        if (alterable.Tables.Count > 0)
        {
            LogAuditAlterable(connection.UserName ?? "", string.Join(", ", alterable.Tables), alterable.Why);
        }

        return new SchemaApplyReport(target, ran, scripts.Count - ran.Count, runtimeRole ?? connection.UserName ?? "", auditRelations);
    }

    /// <summary>The refusal a node's role gets when the schema needs work it may not do: what is wrong, and what to run.</summary>
    private InvalidOperationException NotPermitted(string target, string? role, string state, PostgresException e) =>
        new(
            $"The schema on {target} is {state}, and role '{role}' may not change it ({e.SqlState}: {e.MessageText}). " +
            $"As the schema owner, run: {ApplyCommand} --runtime-role {role}{(_scope == SchemaScope.AuditStore ? " --audit-store" : "")} " +
            "(docs/audit.md, \"Privileges\"), then start the node again.",
            e);

    /// <summary>Runs one step of the privilege work, naming it and the database when PostgreSQL refuses.</summary>
    private static async Task<T> Checked<T>(string target, string step, Func<Task<T>> action)
    {
        try
        {
            return await action();
        }
        catch (NpgsqlException e)
        {
            throw new InvalidOperationException($"Cannot apply the state database schema on {target}: {step} failed: {Describe(e)}. Nothing from this run was applied.", e);
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidOperationException($"Cannot apply the state database schema on {target}: {e.Message}. Nothing from this run was applied.", e);
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

    /// <summary>The recorded scripts; null when there is no record table yet (an empty database).</summary>
    private static async Task<Dictionary<string, string>?> ReadAppliedAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken ct)
    {
        // Looked up first, so a current schema is read without CREATE TABLE IF NOT EXISTS, which needs CREATE on the schema.
        await using (var exists = new NpgsqlCommand("SELECT to_regclass('orleansgate_schema_version') IS NOT NULL", connection, transaction))
        {
            if (!(bool)(await exists.ExecuteScalarAsync(ct))!)
            {
                return null;
            }
        }

        var applied = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var command = new NpgsqlCommand("SELECT script, sha256 FROM orleansgate_schema_version", connection, transaction);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            applied[reader.GetString(0)] = reader.GetString(1);
        }

        return applied;
    }

    private static async Task CreateVersionTableAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken ct)
    {
        const string Sql = """
            CREATE TABLE IF NOT EXISTS orleansgate_schema_version
            (
                script     text        NOT NULL PRIMARY KEY,
                sha256     text        NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """;
        await using var command = new NpgsqlCommand(Sql, connection, transaction);
        await command.ExecuteNonQueryAsync(ct);
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "The gateway's database role {Role} can alter the audit tables ({Tables}; {Why}), so it can disable their triggers and then rewrite or delete audit records. Run the nodes as a runtime role that may only insert and read them: see docs/audit.md, \"Privileges\"")]
    private partial void LogAuditAlterable(string role, string tables, string why);
}
