using Npgsql;

namespace OrleansGate.Grains;

/// <summary>The gateway's own PostgreSQL state database (membership, grain state, audit) — never a target.</summary>
public sealed class StateDatabase(NpgsqlDataSource dataSource) : IAsyncDisposable
{
    public NpgsqlDataSource DataSource { get; } = dataSource;

    public ValueTask DisposeAsync() => DataSource.DisposeAsync();
}
