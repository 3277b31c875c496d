using System.Globalization;
using OrleansGate.IntegrationTests.Infrastructure;

namespace OrleansGate.IntegrationTests.Protocol;

/// <summary>The command-line clients agents ship (pgbench, psql) through the gateway, TLS off and on.</summary>
[Collection(ProtocolSuiteCollection.Name)]
public sealed class ClientCompatibilityTests(ProtocolSuiteFixture fixture)
{
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(120);

    [Theory]
    [InlineData("simple", false)]
    [InlineData("extended", false)]
    [InlineData("prepared", false)]
    [InlineData("simple", true)]
    [InlineData("extended", true)]
    [InlineData("prepared", true)]
    public async Task Pgbench_tpcb_runs_every_transaction_in_each_query_mode(string mode, bool tls)
    {
        var result = await ExternalCommand.RunAsync(
            "pgbench",
            ["-n", "-M", mode, "-c", "2", "-t", "20"],
            ClientTimeout,
            environment: fixture.LibpqEnvironment(tls, await fixture.TokenAsync()));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"query mode: {mode}", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("number of transactions actually processed: 40/40", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("number of failed transactions: 0", result.StandardOutput, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("extended")]
    [InlineData("prepared")]
    public async Task Pgbench_pipeline_runs_every_transaction(string mode)
    {
        // libpq pipeline mode: Parse (prepared: once per connection), Bind, Describe and Execute of every statement
        // sent before any answer is read, one Sync at \endpipeline.
        var script = Path.Combine(Directory.CreateTempSubdirectory("orleansgate-pgbench-").FullName, "pipeline.sql");
        await File.WriteAllTextAsync(script, """
            \set aid random(1, 100000)
            \set delta random(-5000, 5000)
            \startpipeline
            UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid;
            SELECT abalance FROM pgbench_accounts WHERE aid = :aid;
            SELECT count(*) FROM pgbench_branches;
            \endpipeline
            """);
        var result = await ExternalCommand.RunAsync(
            "pgbench",
            ["-n", "-M", mode, "-c", "2", "-t", "20", "-f", script],
            ClientTimeout,
            environment: fixture.LibpqEnvironment(false, await fixture.TokenAsync()));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"query mode: {mode}", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("number of transactions actually processed: 40/40", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("number of failed transactions: 0", result.StandardOutput, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Psql_describes_a_table(bool tls)
    {
        var result = await PsqlAsync(tls, ["-c", @"\d customers"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Table \"public.customers\"", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("customers_pkey", result.StandardOutput, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Psql_copy_imports_a_file_and_exports_the_same_rows(bool tls)
    {
        var first = tls ? 2000 : 1000;
        var directory = Directory.CreateTempSubdirectory("orleansgate-copy-").FullName;
        var input = Path.Combine(directory, "in.csv");
        var output = Path.Combine(directory, "out.csv");
        var rows = Enumerable.Range(first, 50)
            .Select(i => string.Create(CultureInfo.InvariantCulture, $"{i},\"note, with comma {i}\",{i}.25"))
            .ToList();
        await File.WriteAllLinesAsync(input, rows);

        var result = await PsqlAsync(tls,
        [
            "-c", $"DELETE FROM copy_target WHERE id BETWEEN {first} AND {first + 999}",
            "-c", $@"\copy copy_target (id, note, amount) FROM '{input}' WITH (FORMAT csv)",
            "-c", $@"\copy (SELECT id, note, amount FROM copy_target WHERE id BETWEEN {first} AND {first + 999} ORDER BY id) TO '{output}' WITH (FORMAT csv)",
        ]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("COPY 50", result.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(rows, await File.ReadAllLinesAsync(output));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Psql_watch_repeats_a_query_until_it_fails(bool tls)
    {
        // psql 15's \watch has no count: the query fails on its third run (division by zero), which ends \watch.
        var script = """
            CREATE TEMP SEQUENCE watch_runs;
            SELECT 'run ' || n AS watched, 1 / (3 - n) AS guard FROM (SELECT nextval('watch_runs') AS n) s \watch 0.01
            SELECT 'after watch' AS done;
            """;
        var result = await ExternalCommand.RunAsync(
            "psql",
            ["-X", "-A", "-t", "-q"],
            ClientTimeout,
            environment: fixture.LibpqEnvironment(tls, await fixture.TokenAsync()),
            standardInput: script);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("run 1|0", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("run 2|1", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("division by zero", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("after watch", result.StandardOutput, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Psql_repeated_queries_in_one_session_each_return(bool tls)
    {
        var arguments = new List<string> { "-A", "-t" };
        for (var i = 1; i <= 20; i++)
        {
            arguments.AddRange(["-c", $"SELECT count(*) + {i} FROM orders"]);
        }

        var result = await PsqlAsync(tls, arguments);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(Enumerable.Range(1, 20).Select(i => (3 + i).ToString(CultureInfo.InvariantCulture)), result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    private async Task<ExternalCommand.Result> PsqlAsync(bool tls, IEnumerable<string> arguments) =>
        await ExternalCommand.RunAsync(
            "psql",
            ["-X", "-v", "ON_ERROR_STOP=1", .. arguments],
            ClientTimeout,
            environment: fixture.LibpqEnvironment(tls, await fixture.TokenAsync()));
}
