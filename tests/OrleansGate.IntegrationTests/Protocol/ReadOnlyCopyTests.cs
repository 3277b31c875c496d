using Npgsql;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.IntegrationTests.Infrastructure;
using OrleansGate.IntegrationTests.Policy;

namespace OrleansGate.IntegrationTests.Protocol;

/// <summary>COPY through psql is a write like any other: under the read-only policy <c>\copy … FROM</c> is refused.</summary>
[Collection(PolicyCollection.Name)]
public sealed class ReadOnlyCopyTests(PolicyFixture fixture)
{
    [Fact]
    public async Task Psql_copy_from_a_file_is_refused_with_42501_under_a_read_only_policy_and_writes_nothing()
    {
        var rows = Path.Combine(Directory.CreateTempSubdirectory("orleansgate-copy-").FullName, "customers.csv");
        await File.WriteAllTextAsync(rows, "9001,Mallory,mallory@example.com\n");
        var before = await CustomerCountAsync();

        var settings = fixture.Node.Settings;
        var result = await ExternalCommand.RunAsync(
            "psql",
            [$"host=127.0.0.1 port={settings.PostgresPort} dbname={GatewaySettings.TargetName} user={GatewaySettings.AgentClientId} sslmode=disable",
                "-X", "-v", "ON_ERROR_STOP=1", "-v", "VERBOSITY=verbose", "-c", $@"\copy customers FROM '{rows}' WITH (FORMAT csv)"],
            TimeSpan.FromSeconds(60),
            environment: new Dictionary<string, string> { ["PGPASSWORD"] = await fixture.Node.GetTokenAsync(), ["PGCONNECT_TIMEOUT"] = "15" });

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("42501", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("statement denied by rule", result.StandardError, StringComparison.Ordinal);
        Assert.Equal(before, await CustomerCountAsync());
    }

    private async Task<long> CustomerCountAsync()
    {
        await using var connection = new NpgsqlConnection(fixture.TargetConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM customers", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
