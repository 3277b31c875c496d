using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using OrleansGate.Grains;
using OrleansGate.Grains.Audit;
using OrleansGate.Grains.Storage;
using OrleansGate.IntegrationTests.Infrastructure;
using OrleansGate.Model;

namespace OrleansGate.IntegrationTests.Audit;

/// <summary>
/// A real audit writer on its own database of the shared test PostgreSQL, with a checkpoint key and file:
/// what a silo runs, without the rest of the silo, so tamper tests can corrupt it freely.
/// </summary>
internal sealed class AuditLog : IAsyncDisposable
{
    private readonly StateDatabase _database;

    private AuditLog(string database, string connectionString, StateDatabase state, PostgresAuditSink sink, string keyPath, string checkpointFile)
    {
        Database = database;
        ConnectionString = connectionString;
        _database = state;
        Sink = sink;
        KeyPath = keyPath;
        CheckpointFile = checkpointFile;
    }

    public string Database { get; }

    public string ConnectionString { get; }

    public PostgresAuditSink Sink { get; }

    public string KeyPath { get; }

    public string CheckpointFile { get; }

    public static async Task<AuditLog> StartAsync(PostgresFixture fixture, Action<AuditOptions>? configure = null)
    {
        var database = await fixture.CreateDatabaseAsync("audit");
        var connectionString = fixture.Postgres.ConnectionString(database);
        await new SchemaInstaller(connectionString, NullLogger<SchemaInstaller>.Instance).ApplyAsync(CancellationToken.None);
        var folder = Directory.CreateTempSubdirectory("orleansgate-audit-").FullName;
        var keyPath = Path.Combine(folder, "checkpoint.key");
        await File.WriteAllBytesAsync(keyPath, RandomNumberGenerator.GetBytes(32));
        var options = new AuditOptions
        {
            CheckpointKeyPath = keyPath,
            CheckpointFile = Path.Combine(folder, "checkpoints.jsonl"),

            // Checkpoints are taken by the tests themselves (CheckpointNowAsync), at known points.
            CheckpointInterval = TimeSpan.FromHours(1),
        };
        configure?.Invoke(options);
        var state = new StateDatabase(connectionString);
        var sink = new PostgresAuditSink(state, Options.Create(options), TimeProvider.System, NullLoggerFactory.Instance);
        await sink.StartAsync(CancellationToken.None);
        return new AuditLog(database, connectionString, state, sink, keyPath, options.CheckpointFile);
    }

    public static SessionInfo Session(string id, string subject = "agent-t") =>
        new(id, new AgentIdentity("https://idp.test", subject, ["developers"]), "jti-" + id, DateTimeOffset.UtcNow.AddMinutes(5), "demo", "postgres",
            "node-t", "127.0.0.1:5000", DateTimeOffset.UtcNow);

    public static AuditRecord Statement(SessionInfo session, string normalized) =>
        new(AuditEventKind.Statement, DateTimeOffset.UtcNow, session, "fp", normalized, new Decision(DecisionEffect.Allow, "allow-all", "ok", 1, 0))
        {
            StatementKinds = "SELECT",
            RelationsRead = ["public.customers"],
        };

    public Task<AuditVerifyReport> VerifyAsync()
    {
        var source = NpgsqlDataSource.Create(ConnectionString);
        return VerifyWithAsync(source);
    }

    /// <summary>What an attacker with database access does: as the superuser, with triggers switched off for the session.</summary>
    public async Task TamperAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SET session_replication_role = replica; " + sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public async Task<long> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        await Sink.StopAsync(CancellationToken.None);
        Sink.Dispose();
        await _database.DisposeAsync();
    }

    private async Task<AuditVerifyReport> VerifyWithAsync(NpgsqlDataSource source)
    {
        await using (source)
        {
            return await new AuditVerifier(source).VerifyAsync(await File.ReadAllBytesAsync(KeyPath), CheckpointFile, CancellationToken.None);
        }
    }
}
