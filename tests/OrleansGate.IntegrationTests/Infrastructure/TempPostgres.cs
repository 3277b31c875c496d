using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace OrleansGate.IntegrationTests.Infrastructure;

/// <summary>
/// A real PostgreSQL 15 server of its own for tests: a fresh cluster in a temp folder, listening on
/// 127.0.0.1 at a free port, superuser <c>postgres</c> with a random password and SCRAM-SHA-256 for
/// TCP connections (local socket connections are trusted; nothing but the server's owner can reach them).
/// </summary>
/// <remarks>
/// PostgreSQL refuses to run as root, and the test machines run as root: initdb and pg_ctl therefore
/// run as the <c>postgres</c> account through <c>runuser</c>, in a folder handed over to it.
/// Durability settings are off (fsync, synchronous_commit): a crash loses nothing a test cares about.
/// </remarks>
public sealed class TempPostgres : IAsyncDisposable
{
    private const string ServiceAccount = "postgres";
    private const string Superuser = "postgres";
    private const int BindAttempts = 3;
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    private readonly string _root;
    private bool _running;
    private bool _disposed;

    private TempPostgres(string root, string superuserPassword)
    {
        _root = root;
        SuperuserPassword = superuserPassword;
    }

    public int Port { get; private set; }

    public string SuperuserPassword { get; }

    public string DataDirectory => Path.Combine(_root, "data");

    public string BinDirectory => "/usr/lib/postgresql/15/bin";

    private string LogFile => Path.Combine(_root, "postgres.log");

    public static async Task<TempPostgres> StartAsync(CancellationToken ct = default)
    {
        // /tmp rather than $TMPDIR: every parent folder must be reachable by the postgres account.
        var root = Path.Combine("/tmp", "orleansgate-pg-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)));
        Directory.CreateDirectory(root);
        var instance = new TempPostgres(root, Convert.ToHexString(RandomNumberGenerator.GetBytes(18)));
        try
        {
            await instance.InitializeClusterAsync(ct);
            await instance.StartOnFreePortAsync(ct);
            return instance;
        }
        catch
        {
            await instance.DisposeAsync();
            throw;
        }
    }

    /// <summary>A connection string over TCP; without <paramref name="user"/>, as the superuser.</summary>
    public string ConnectionString(string database = "postgres", string? user = null, string? password = null)
    {
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = Port,
            Database = database,
            Username = user ?? Superuser,
            Password = password ?? (user is null ? SuperuserPassword : null),
            Timeout = 15,
        };
        return builder.ConnectionString;
    }

    public Task CreateDatabaseAsync(string name) => ExecuteAsync("postgres", $"CREATE DATABASE {QuoteIdentifier(name)}");

    public Task CreateRoleAsync(string name, string password, bool superuser = false) =>
        ExecuteAsync("postgres", $"CREATE ROLE {QuoteIdentifier(name)} LOGIN PASSWORD {QuoteLiteral(password)} {(superuser ? "SUPERUSER" : "NOSUPERUSER")}");

    /// <summary>Runs <paramref name="sql"/> (one or more statements) as the superuser in <paramref name="database"/>.</summary>
    public async Task ExecuteAsync(string database, string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString(database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Stops the server cleanly; the data folder and the port stay reserved for <see cref="StartAgainAsync"/>.</summary>
    public async Task StopAsync()
    {
        if (!_running)
        {
            return;
        }

        var result = await RunToolAsync("pg_ctl", ["-D", DataDirectory, "-m", "fast", "-w", "-t", "60", "stop"], CancellationToken.None);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"PostgreSQL did not stop.\n{result}\n{LogTail()}");
        }

        _running = false;

        // Pooled connections to the old server process are dead; drop them so the next open dials anew.
        NpgsqlConnection.ClearAllPools();
    }

    /// <summary>Starts the server again on the same data folder and the same port (restart tests).</summary>
    public async Task StartAgainAsync()
    {
        if (_running)
        {
            return;
        }

        var result = await StartServerAsync(CancellationToken.None);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"PostgreSQL did not start again on port {Port}.\n{result}\n{LogTail()}");
        }

        _running = true;
        await WaitUntilReadyAsync(CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_running)
        {
            // Immediate: the folder is deleted next, nothing needs to be flushed.
            await RunToolAsync("pg_ctl", ["-D", DataDirectory, "-m", "immediate", "-w", "-t", "30", "stop"], CancellationToken.None);
            _running = false;
            NpgsqlConnection.ClearAllPools();
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by a server that refused to stop; /tmp is cleaned eventually.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private async Task InitializeClusterAsync(CancellationToken ct)
    {
        var passwordFile = Path.Combine(_root, "superuser.pw");
        await File.WriteAllTextAsync(passwordFile, SuperuserPassword, ct);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        if (RunsAsRoot())
        {
            var chown = await ExternalCommand.RunAsync("chown", ["-R", $"{ServiceAccount}:{ServiceAccount}", _root], ToolTimeout, ct);
            if (chown.ExitCode != 0)
            {
                throw new InvalidOperationException($"Cannot hand {_root} over to the {ServiceAccount} account.\n{chown}");
            }
        }

        var initdb = await RunToolAsync(
            "initdb",
            [
                "-D", DataDirectory,
                "-U", Superuser,
                "--pwfile", passwordFile,
                "--auth-host=scram-sha-256",
                "--auth-local=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
                "--no-instructions",
            ],
            ct);
        File.Delete(passwordFile);
        if (initdb.ExitCode != 0)
        {
            throw new InvalidOperationException($"initdb failed.\n{initdb}");
        }

        var settings = new StringBuilder()
            .AppendLine()
            .AppendLine("# Written by OrleansGate.IntegrationTests.Infrastructure.TempPostgres")
            .AppendLine("listen_addresses = '127.0.0.1'")
            .AppendLine(CultureInfo.InvariantCulture, $"unix_socket_directories = '{_root}'")
            .AppendLine("password_encryption = 'scram-sha-256'")
            .AppendLine("max_connections = 200")
            .AppendLine("fsync = off")
            .AppendLine("synchronous_commit = off")
            .AppendLine("full_page_writes = off");
        await File.AppendAllTextAsync(Path.Combine(DataDirectory, "postgresql.conf"), settings.ToString(), ct);
    }

    /// <summary>
    /// The port is picked by binding port 0 and released before PostgreSQL binds it, so another process can
    /// take it in between; on "address already in use" the start is retried on a new port.
    /// </summary>
    private async Task StartOnFreePortAsync(CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            Port = FreePort.Next();
            await File.AppendAllTextAsync(
                Path.Combine(DataDirectory, "postgresql.conf"),
                string.Create(CultureInfo.InvariantCulture, $"port = {Port}\n"),
                ct);
            var result = await StartServerAsync(ct);
            if (result.ExitCode == 0)
            {
                _running = true;
                break;
            }

            var log = LogTail();
            if (attempt < BindAttempts && log.Contains("could not bind", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            throw new InvalidOperationException($"PostgreSQL did not start on port {Port}.\n{result}\n{log}");
        }

        await WaitUntilReadyAsync(ct);
    }

    private Task<ExternalCommand.Result> StartServerAsync(CancellationToken ct) =>
        RunToolAsync("pg_ctl", ["-D", DataDirectory, "-l", LogFile, "-w", "-t", "60", "start"], ct);

    /// <summary>
    /// pg_ctl -w has already waited for the server to accept connections; this proves a password login
    /// over TCP works too, once, and fails with the server log otherwise.
    /// </summary>
    private async Task WaitUntilReadyAsync(CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(ReadyTimeout);
        try
        {
            await using var connection = new NpgsqlConnection(ConnectionString());
            await connection.OpenAsync(deadline.Token);
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            await command.ExecuteScalarAsync(deadline.Token);
        }
        catch (Exception e) when (e is NpgsqlException or SocketException or IOException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            throw new InvalidOperationException($"PostgreSQL on port {Port} does not accept a login: {e.Message}\n{LogTail()}", e);
        }
    }

    private Task<ExternalCommand.Result> RunToolAsync(string tool, IReadOnlyList<string> arguments, CancellationToken ct)
    {
        var path = Path.Combine(BinDirectory, tool);
        if (!RunsAsRoot())
        {
            return ExternalCommand.RunAsync(path, arguments, ToolTimeout, ct);
        }

        return ExternalCommand.RunAsync("runuser", ["-u", ServiceAccount, "--", path, .. arguments], ToolTimeout, ct);
    }

    private string LogTail()
    {
        try
        {
            var lines = File.ReadAllLines(LogFile);
            return "server log (last lines):\n" + string.Join('\n', lines.TakeLast(30));
        }
        catch (IOException)
        {
            return "(no server log)";
        }
        catch (UnauthorizedAccessException)
        {
            return "(server log unreadable)";
        }
    }

    private static bool RunsAsRoot() => Environment.UserName == "root";

    private static string QuoteIdentifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static string QuoteLiteral(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
}
