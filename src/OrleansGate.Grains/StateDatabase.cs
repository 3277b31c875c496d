using Npgsql;

namespace OrleansGate.Grains;

/// <summary>The gateway's own PostgreSQL state database (membership, grain state, audit) — never a target.</summary>
public sealed class StateDatabase(string connectionString) : IAsyncDisposable
{
    public NpgsqlDataSource DataSource { get; } = NpgsqlDataSource.Create(connectionString);

    /// <summary>
    /// The configured connection string, password included: <see cref="NpgsqlDataSource.ConnectionString"/>
    /// drops the password, so components that open their own connections (the Orleans providers, the
    /// schema installer) take this one. Never log it.
    /// </summary>
    public string ConnectionString { get; } = connectionString;

    public ValueTask DisposeAsync() => DataSource.DisposeAsync();
}
