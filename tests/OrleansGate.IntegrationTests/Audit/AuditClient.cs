using System.Data;
using Npgsql;

namespace OrleansGate.IntegrationTests.Audit;

/// <summary>
/// One agent that runs uniquely shaped statements (a unique column alias survives normalisation, a literal would
/// not) and logs which ones it got a result for, for reconciliation against the audit store. Like a pooled
/// client it logs in again when its connection was closed (Npgsql closes it after a class 58 error).
/// </summary>
internal sealed class AuditClient(string name, Func<Task<NpgsqlConnection>> connect) : IAsyncDisposable
{
    private NpgsqlConnection? _connection;
    private int _next;

    public string Name { get; } = name;

    public List<string> Received { get; } = [];

    /// <summary>Refused statements (and refused logins, as "(login)") with the SQLSTATE and message the client saw.</summary>
    public List<(string Statement, string SqlState, string Message)> Refused { get; } = [];

    /// <summary>One login and one statement on a connection of its own; false when the gateway refused either.</summary>
    public static async Task<bool> TryOnceAsync(string connectionString)
    {
        try
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            return Equals(await command.ExecuteScalarAsync(), 1);
        }
        catch (PostgresException)
        {
            return false;
        }
    }

    /// <summary>The normalised text the audit record of statement <paramref name="alias"/> holds.</summary>
    public static string Normalized(string alias) => $"SELECT $1 AS {alias}";

    /// <summary>Runs the next statement; true when its result arrived, false when the gateway refused it (or the login).</summary>
    public async Task<bool> RunNextAsync()
    {
        if (_connection is not { State: ConnectionState.Open })
        {
            if (_connection is not null)
            {
                await _connection.DisposeAsync();
                _connection = null;
            }

            try
            {
                _connection = await connect();
            }
            catch (PostgresException e)
            {
                Refused.Add(("(login)", e.SqlState, e.MessageText));
                return false;
            }
        }

        var alias = $"{Name}_{_next++}";
        await using var command = new NpgsqlCommand($"SELECT 1 AS {alias}", _connection);
        try
        {
            var result = await command.ExecuteScalarAsync();
            Assert.Equal(1, result);
            Received.Add(alias);
            return true;
        }
        catch (PostgresException e)
        {
            Refused.Add((alias, e.SqlState, e.MessageText));
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }
    }
}
