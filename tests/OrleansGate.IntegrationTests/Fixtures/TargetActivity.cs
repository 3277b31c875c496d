using System.Diagnostics;
using Npgsql;
using OrleansGate.IntegrationTests.Infrastructure;

namespace OrleansGate.IntegrationTests.Fixtures;

/// <summary>
/// The target's own <c>pg_stat_activity</c>, read directly as its superuser (never through the gateway): what the
/// target is really running, whatever the gateway or the client believe.
/// </summary>
/// <remarks>
/// pg_stat_activity has no notification, so it is polled: every <see cref="PollInterval"/> on one open connection,
/// always against a deadline. The interval is the resolution of every time measured here.
/// </remarks>
public sealed class TargetActivity : IAsyncDisposable
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(10);

    private readonly NpgsqlConnection _connection;

    private TargetActivity(NpgsqlConnection connection) => _connection = connection;

    public static async Task<TargetActivity> OpenAsync(TempPostgres target)
    {
        ArgumentNullException.ThrowIfNull(target);
        var connection = new NpgsqlConnection(target.ConnectionString("postgres"));
        await connection.OpenAsync();
        return new TargetActivity(connection);
    }

    /// <summary>A text to put in a statement (as a comment) so its backend can be found.</summary>
    public static string NewMarker() => "og_end_" + Guid.NewGuid().ToString("N");

    /// <summary>Waits until a backend runs a statement containing <paramref name="marker"/>; returns that backend's process id.</summary>
    public async Task<int> WaitUntilRunningAsync(string marker, TimeSpan within)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            await using var find = new NpgsqlCommand(
                "SELECT pid FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() AND strpos(query, @marker) > 0", _connection);
            find.Parameters.AddWithValue("marker", marker);
            if (await find.ExecuteScalarAsync() is int pid)
            {
                return pid;
            }

            Assert.True(deadline.Elapsed < within, $"no backend of the target ran the statement marked {marker} within {within.TotalSeconds:0} s");
            await Task.Delay(PollInterval);
        }
    }

    /// <summary>Whether backend <paramref name="pid"/> still runs the statement marked <paramref name="marker"/>.</summary>
    public async Task<bool> IsRunningAsync(int pid, string marker)
    {
        await using var check = new NpgsqlCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE pid = @pid AND state = 'active' AND strpos(query, @marker) > 0", _connection);
        check.Parameters.AddWithValue("pid", pid);
        check.Parameters.AddWithValue("marker", marker);
        return (long)(await check.ExecuteScalarAsync())! > 0;
    }

    /// <summary>
    /// Polls until backend <paramref name="pid"/> no longer runs the marked statement (it was cancelled, or the backend
    /// exited), giving up after <paramref name="within"/>; returns when the first poll that saw it gone was sent (wall
    /// clock, as the events measured against it), or null if it was still running at the deadline.
    /// </summary>
    public async Task<DateTimeOffset?> WaitUntilGoneAsync(int pid, string marker, TimeSpan within)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < within)
        {
            var polled = DateTimeOffset.UtcNow;
            if (!await IsRunningAsync(pid, marker))
            {
                return polled;
            }

            await Task.Delay(PollInterval);
        }

        return null;
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
