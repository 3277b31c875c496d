using System.Security.Cryptography;

namespace OrleansGate.IntegrationTests.Infrastructure;

/// <summary>One <see cref="TempPostgres"/> shared by the tests of the <c>postgres</c> collection; each test takes its own database.</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public TempPostgres Postgres { get; private set; } = null!;

    /// <summary>Creates an empty database with a unique name starting with <paramref name="prefix"/> and returns the name.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix)
    {
        var name = $"{prefix}_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";
        await Postgres.CreateDatabaseAsync(name);
        return name;
    }

    public async Task InitializeAsync() => Postgres = await TempPostgres.StartAsync();

    public async Task DisposeAsync()
    {
        if (Postgres is not null)
        {
            await Postgres.DisposeAsync();
        }
    }
}
