using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using OrleansGate.Grains;
using OrleansGate.Audit;
using OrleansGate.Grains.Audit;
using OrleansGate.Audit.Signing;
using OrleansGate.Audit.Verify;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.IntegrationTests.Infrastructure;
using OrleansGate.Model;

namespace OrleansGate.IntegrationTests.Audit;

/// <summary>
/// A real audit writer on its own database of the shared test PostgreSQL, with a signing key and a checkpoint file:
/// what a silo runs, without the rest of the silo, so tamper tests can corrupt it freely. Its clock is a fake one, so
/// signatures are made exactly when a test says (<see cref="SignAsync"/>), never by the interval. It runs an hour behind,
/// so a test that moves it on still signs before the moment verify reads the database.
/// </summary>
internal sealed class AuditLog : IAsyncDisposable
{
    private readonly List<PostgresAuditSink> _stopped = [];
    private readonly List<PostgresAuditSink> _others = [];
    private readonly List<PostgresAuditSink> _crashed = [];

    private readonly ILoggerFactory _loggers;

    private AuditLog(string database, string connectionString, string runtimeConnectionString, AuditOptions options, FakeTimeProvider time, string publicKey, ILoggerFactory loggers)
    {
        _loggers = loggers;
        Database = database;
        ConnectionString = connectionString;
        RuntimeConnectionString = runtimeConnectionString;
        Options = options;
        Time = time;
        PublicKeyPath = publicKey;
        Sink = NewSink();
    }

    public string Database { get; }

    /// <summary>The superuser's: what an attacker who can switch the triggers off uses (and what verify reads with).</summary>
    public string ConnectionString { get; }

    /// <summary>The runtime role's, as the writers use it: it may insert into and read the audit tables, nothing more.</summary>
    public string RuntimeConnectionString { get; }

    public PostgresAuditSink Sink { get; private set; }

    public AuditOptions Options { get; }

    public FakeTimeProvider Time { get; }

    public string PublicKeyPath { get; }

    public string CheckpointFile => Options.CheckpointFile!;

    public static async Task<AuditLog> StartAsync(PostgresFixture fixture, Action<AuditOptions>? configure = null, ILoggerFactory? loggers = null)
    {
        // As in production (docs/audit.md, "Privileges"): the owner applies the schema, the writers run as the runtime role.
        var roles = await TwoRoleDatabase.CreateAsync(fixture.Postgres, "audit");
        using (var output = new StringWriter())
        {
            var applied = await OrleansGate.Host.Commands.CommandLine.RunAsync(
                ["schema", "apply", "--audit-store", "--owner-connection-string-file", roles.WriteOwnerConnectionFile(), "--runtime-role", roles.RuntimeRole],
                output, output, CancellationToken.None);
            Assert.True(applied == 0, output.ToString());
        }

        var database = roles.Database;
        var connectionString = fixture.Postgres.ConnectionString(database);
        var folder = Directory.CreateTempSubdirectory("orleansgate-audit-").FullName;
        var (privateKey, publicKey) = TestAuditKeys.Create("audit");
        var options = new AuditOptions
        {
            SigningKeyPath = privateKey,
            CheckpointFile = Path.Combine(folder, "checkpoints.jsonl"),
        };
        configure?.Invoke(options);
        var log = new AuditLog(database, connectionString, roles.RuntimeConnectionString, options, new FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(-1)), publicKey, loggers ?? NullLoggerFactory.Instance);
        await log.Sink.StartAsync(CancellationToken.None);
        return log;
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

    /// <summary>Every writer signs what it has not signed yet.</summary>
    public async Task SignAsync() => Assert.True(await Sink.SignNowAsync(CancellationToken.None));

    /// <summary>Another writer process on the same store, signing with <paramref name="privateKey"/>; stopped with the log.</summary>
    public async Task<PostgresAuditSink> StartOtherWriterAsync(string privateKey)
    {
        var options = new AuditOptions { SigningKeyPath = privateKey, Writers = 1 };
        var sink = new PostgresAuditSink(RuntimeConnectionString, Microsoft.Extensions.Options.Options.Create(options), Time, NullLoggerFactory.Instance, AuditWriterIdentity.Standalone("node-other"));
        await sink.StartAsync(CancellationToken.None);
        _others.Add(sink);
        return sink;
    }

    /// <summary>
    /// The writer dies as a killed process does: it stops where it is, signs nothing more and never ends. (It stays in
    /// memory, inert: its clock is the fake one and nothing appends to it again.) A new writer takes over the store.
    /// </summary>
    public async Task CrashAsync()
    {
        _crashed.Add(Sink);
        Sink = NewSink();
        await Sink.StartAsync(CancellationToken.None);
    }

    /// <summary>Stops the writer cleanly (it signs its end) and starts a new one (new writers) on the same store.</summary>
    public async Task RestartAsync()
    {
        await Sink.StopAsync(CancellationToken.None);
        _stopped.Add(Sink);
        Sink = NewSink();
        await Sink.StartAsync(CancellationToken.None);
    }

    public Task<AuditVerifyReport> VerifyAsync(params string[] extraPublicKeys)
    {
        var keys = AuditKeys.LoadTrusted(PublicKeyPath);
        foreach (var path in extraPublicKeys)
        {
            foreach (var (id, key) in AuditKeys.LoadTrusted(path))
            {
                keys[id] = key;
            }
        }

        return VerifyWithAsync(keys, [CheckpointFile]);
    }

    public async Task<AuditVerifyReport> VerifyWithAsync(
        Dictionary<string, System.Security.Cryptography.ECDsa> keys, IReadOnlyList<string> files, Func<CancellationToken, Task>? afterSnapshotRead = null)
    {
        await using var source = NpgsqlDataSource.Create(ConnectionString);
        return await new AuditVerifier(source) { AfterSnapshotRead = afterSnapshotRead }.VerifyAsync(keys, files, CancellationToken.None);
    }

    /// <summary>What an attacker with database access does: as the superuser, with triggers switched off for the session.</summary>
    public async Task TamperAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SET session_replication_role = replica; " + sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>What the gateway's own database role can do with no trigger switched off: insert (forge), and nothing else.</summary>
    public async Task AsRuntimeRoleAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(RuntimeConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
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
        foreach (var other in _others)
        {
            await other.StopAsync(CancellationToken.None);
            other.Dispose();
        }

        foreach (var stopped in _stopped)
        {
            stopped.Dispose();
        }

    }

    private PostgresAuditSink NewSink() =>
        new(RuntimeConnectionString, Microsoft.Extensions.Options.Options.Create(Options), Time, _loggers, AuditWriterIdentity.Standalone("node-t"));
}
