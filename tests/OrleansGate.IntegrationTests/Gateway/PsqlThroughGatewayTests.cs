using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.IntegrationTests.Infrastructure;

namespace OrleansGate.IntegrationTests.Gateway;

/// <summary>psql speaks the simple query protocol (one Query message per command line).</summary>
[Collection(GatewayCollection.Name)]
public sealed class PsqlThroughGatewayTests(GatewayFixture fixture)
{
    private static readonly TimeSpan PsqlTimeout = TimeSpan.FromSeconds(60);

    private Task<ExternalCommand.Result> PsqlAsync(string token, params string[] arguments) => PsqlAsync(token, tuplesOnly: true, arguments);

    private async Task<ExternalCommand.Result> PsqlAsync(string token, bool tuplesOnly, params string[] arguments)
    {
        var settings = fixture.Node.Settings;
        string[] connection = [$"host=127.0.0.1 port={settings.PostgresPort} dbname={GatewaySettings.TargetName} user={GatewaySettings.AgentClientId} sslmode=disable"];
        return await ExternalCommand.RunAsync(
            "psql",
            [.. connection, "-X", "-A", .. (tuplesOnly ? new[] { "-t" } : []), "-v", "ON_ERROR_STOP=1", .. arguments],
            PsqlTimeout,
            environment: new Dictionary<string, string> { ["PGPASSWORD"] = token, ["PGCONNECT_TIMEOUT"] = "15" });
    }

    [Fact]
    public async Task Select_through_psql_returns_rows()
    {
        var result = await PsqlAsync(await fixture.Node.GetTokenAsync(), "-c", "SELECT name FROM customers ORDER BY id");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("Ada Lovelace\nGrace Hopper\nEdsger Dijkstra\n", result.StandardOutput);
    }

    [Fact]
    public async Task Multi_statement_query_string_returns_every_result()
    {
        var result = await PsqlAsync(await fixture.Node.GetTokenAsync(), "-c", "SELECT 1; SELECT count(*) FROM orders");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("1\n3\n", result.StandardOutput);
    }

    [Fact]
    public async Task Describe_table_meta_command_works()
    {
        var result = await PsqlAsync(await fixture.Node.GetTokenAsync(), tuplesOnly: false, "-c", @"\d customers");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("email", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("customers_pkey", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Script_from_standard_input_with_error_stops_with_its_sqlstate()
    {
        var failing = await ExternalCommand.RunAsync(
            "psql",
            [$"host=127.0.0.1 port={fixture.Node.Settings.PostgresPort} dbname=demo user=agent-a sslmode=disable", "-X", "-v", "ON_ERROR_STOP=1", "-v", "VERBOSITY=verbose", "-f", "-"],
            PsqlTimeout,
            environment: new Dictionary<string, string> { ["PGPASSWORD"] = await fixture.Node.GetTokenAsync() },
            standardInput: "SELECT 1;\nSELECT * FROM no_such_table;\nSELECT 2;\n");
        Assert.Equal(3, failing.ExitCode);
        Assert.Contains("42P01", failing.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Forged_token_is_refused_by_psql_login_with_28P01()
    {
        var token = await fixture.Node.GetTokenAsync();
        var forged = token[..^4] + (token[^4] == 'A' ? "BBBB" : "AAAA");
        var result = await ExternalCommand.RunAsync(
            "psql",
            [$"host=127.0.0.1 port={fixture.Node.Settings.PostgresPort} dbname=demo user=agent-a sslmode=disable", "-X", "-c", "SELECT 1"],
            PsqlTimeout,
            environment: new Dictionary<string, string> { ["PGPASSWORD"] = forged });
        // psql prints no SQLSTATE for a failed connection; the Npgsql tests check 28P01 itself.
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("FATAL:  token rejected for user \"agent-a\": signature invalid", result.StandardError, StringComparison.Ordinal);
        Assert.Equal("", result.StandardOutput);
    }
}
