using Npgsql;
using OrleansGate.IntegrationTests.Infrastructure;

namespace OrleansGate.IntegrationTests.Storage;

/// <summary>The test PostgreSQL itself: these start their own servers because they stop and delete them.</summary>
public sealed class TempPostgresTests
{
    [Fact]
    public async Task Starts_PostgreSQL_15_on_loopback_and_requires_the_superuser_password()
    {
        await using var postgres = await TempPostgres.StartAsync();

        await using (var connection = new NpgsqlConnection(postgres.ConnectionString()))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SHOW server_version_num", connection);
            var version = (string)(await command.ExecuteScalarAsync())!;
            Assert.StartsWith("15", version, StringComparison.Ordinal);
        }

        var wrong = postgres.ConnectionString(user: "postgres", password: "not-the-password");
        await using var refused = new NpgsqlConnection(wrong);
        var error = await Assert.ThrowsAsync<PostgresException>(() => refused.OpenAsync());
        Assert.Equal(PostgresErrorCodes.InvalidPassword, error.SqlState);
    }

    [Fact]
    public async Task Roles_and_databases_it_creates_accept_scram_logins()
    {
        await using var postgres = await TempPostgres.StartAsync();
        await postgres.CreateRoleAsync("app's \"role\"", "pa'ss");
        await postgres.CreateDatabaseAsync("app db");
        await postgres.ExecuteAsync("postgres", "GRANT ALL ON DATABASE \"app db\" TO \"app's \"\"role\"\"\"");

        await using var connection = new NpgsqlConnection(postgres.ConnectionString("app db", "app's \"role\"", "pa'ss"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT current_user || '@' || current_database()", connection);
        Assert.Equal("app's \"role\"@app db", await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Stop_and_start_again_keeps_the_data_and_the_port()
    {
        await using var postgres = await TempPostgres.StartAsync();
        await postgres.ExecuteAsync("postgres", "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('survives');");
        var port = postgres.Port;

        await postgres.StopAsync();
        await using (var down = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(postgres.ConnectionString()) { Pooling = false }.ConnectionString))
        {
            await Assert.ThrowsAnyAsync<NpgsqlException>(() => down.OpenAsync());
        }

        await postgres.StartAgainAsync();
        Assert.Equal(port, postgres.Port);
        await using var connection = new NpgsqlConnection(postgres.ConnectionString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT v FROM kept", connection);
        Assert.Equal("survives", await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Dispose_stops_the_server_and_deletes_its_folder()
    {
        var postgres = await TempPostgres.StartAsync();
        var dataDirectory = postgres.DataDirectory;
        var connectionString = new NpgsqlConnectionStringBuilder(postgres.ConnectionString()) { Pooling = false }.ConnectionString;
        Assert.True(File.Exists(Path.Combine(dataDirectory, "PG_VERSION")));

        await postgres.DisposeAsync();

        Assert.False(Directory.Exists(dataDirectory));
        await using var connection = new NpgsqlConnection(connectionString);
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => connection.OpenAsync());
    }
}
