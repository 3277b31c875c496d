using Npgsql;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.IntegrationTests.Identity;
using OrleansGate.IntegrationTests.Infrastructure;
using OrleansGate.IntegrationTests.Policy;
using OrleansGate.Postgres.Protocol;

namespace OrleansGate.IntegrationTests.Limits;

/// <summary>
/// A write that would exceed what is left of the agent's rows-changed budget (5 rows per hour for <c>budget-*</c>) is
/// refused with 53400 and rolled back, in every flow a client uses: a simple Query in autocommit or in the client's
/// transaction, Parse/Bind/Execute/Sync (Npgsql), and COPY FROM STDIN; within the budget, writes commit as usual.
/// </summary>
[Collection(LimitsCollection.Name)]
public sealed class RowsBudgetGuardTests(GatewayFixture fixture)
{
    private const string NoTypeLoading = ";Server Compatibility Mode=NoTypeLoading";

    [Fact]
    public async Task Simple_queries_that_would_cross_the_budget_are_refused_and_rolled_back_in_autocommit_and_in_the_clients_transaction()
    {
        await using var cluster = await LimitsCluster.StartAsync(fixture, "guard-simple");
        var (subject, token) = await AgentAsync();
        var first = FirstId();
        await using var client = await RawPgClient.ConnectAsync(cluster.Nodes[1].Settings.PostgresPort);
        Assert.Equal('Z', (await client.LoginAsync(GatewaySettings.AgentClientId, GatewaySettings.TargetName, token))[^1].Code);

        // Autocommit: 3 of 5, then 3 more is refused (2 left) and nothing of it stays; then 2 fit.
        Assert.Equal('I', await RunOkAsync(client, Insert(first, 1, 3)));
        var (crossing, status) = await RunRefusedAsync(client, Insert(first, 4, 6));
        Assert.Equal('I', status);
        Assert.Equal(
            $"statement refused by the gateway: the statement changed 3 rows, more than the 2 left of the rows-changed budget of 5 rows per 1h for agent {subject} (limit 'blast-radius'); it was rolled back",
            crossing['M']);
        Assert.Equal("3", await CountAsync(client, first));
        Assert.Equal('I', await RunOkAsync(client, Insert(first, 4, 5)));
        Assert.Equal("5", await CountAsync(client, first));

        // In the client's transaction (another agent, a fresh budget): the crossing write fails the transaction, as an error would.
        var (_, token2) = await AgentAsync();
        var second = FirstId();
        await using var inTransaction = await RawPgClient.ConnectAsync(cluster.Nodes[0].Settings.PostgresPort);
        Assert.Equal('Z', (await inTransaction.LoginAsync(GatewaySettings.AgentClientId, GatewaySettings.TargetName, token2))[^1].Code);
        Assert.Equal('T', await RunOkAsync(inTransaction, "BEGIN"));
        Assert.Equal('T', await RunOkAsync(inTransaction, Insert(second, 1, 4)));
        Assert.Equal('E', (await RunRefusedAsync(inTransaction, Insert(second, 5, 6))).Status);
        Assert.Equal("25P02", (await RunRefusedAsync(inTransaction, "SELECT 1")).Error['C']);
        Assert.Equal('I', await RunOkAsync(inTransaction, "ROLLBACK"));
        Assert.Equal("0", await CountAsync(inTransaction, second));

        // One Query that writes and commits: refused before it runs (the gateway could not hold the write).
        var (mixed, mixedStatus) = await RunRefusedAsync(inTransaction, $"BEGIN; {Insert(second, 1, 1)}; COMMIT");
        Assert.Equal(('I', "53400"), (mixedStatus, mixed['C']));
        Assert.Contains("cannot be held to the rows-changed budget", mixed['M'], StringComparison.Ordinal);

        // COPY FROM STDIN: its count comes after its data; refused in the place of its CopyInResponse.
        var (copy, copyStatus) = await RunRefusedAsync(inTransaction, "COPY customers (id, name, email) FROM STDIN");
        Assert.Equal(('I', "53400"), (copyStatus, copy['C']));
        Assert.StartsWith("statement refused by the gateway: COPY FROM STDIN cannot be held to the rows-changed budget", copy['M'], StringComparison.Ordinal);
        // The 4 rows the rolled-back transaction reported changed still count (what the target reported, not what stayed).
        Assert.Equal('I', await RunOkAsync(inTransaction, Insert(second, 1, 1)));
        Assert.Equal("1", await CountAsync(inTransaction, second));
        Assert.Equal('I', (await RunRefusedAsync(inTransaction, Insert(second, 2, 2))).Status);

        // The refused write's statement record has a completion that says so.
        await using var state = new NpgsqlConnection(fixture.Settings.StateConnectionString);
        await state.OpenAsync();
        await using var audited = new NpgsqlCommand(
            """
            SELECT count(*) FROM orleansgate_audit c JOIN orleansgate_audit s ON s.session_id = c.session_id AND s.session_seq = c.completes_seq
            WHERE c.kind = 'Completion' AND c.outcome = '53400' AND s.kind = 'Statement' AND s.subject = $1
            """, state)
        {
            Parameters = { new() { Value = subject } },
        };
        Assert.Equal(1L, await audited.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Npgsql_writes_that_would_cross_the_budget_are_refused_and_rolled_back_in_autocommit_and_in_a_transaction()
    {
        await using var cluster = await LimitsCluster.StartAsync(fixture, "guard-extended");
        var (subject, token) = await AgentAsync();
        var first = FirstId();
        var node = cluster.Nodes[2];

        await using (var connection = new NpgsqlConnection(node.ConnectionString(token) + NoTypeLoading))
        {
            await connection.OpenAsync();
            Assert.Equal(3, await new NpgsqlCommand(Insert(first, 1, 3), connection).ExecuteNonQueryAsync());
            var refused = await Assert.ThrowsAsync<PostgresException>(() => new NpgsqlCommand(Insert(first, 4, 6), connection).ExecuteNonQueryAsync());
            Assert.Equal("53400", refused.SqlState);
            Assert.Contains($"the statement changed 3 rows, more than the 2 left of the rows-changed budget of 5 rows per 1h for agent {subject}", refused.MessageText, StringComparison.Ordinal);
        }

        // Npgsql drops a connection after a class-53 error: a new one, within the budget.
        await using (var connection = new NpgsqlConnection(node.ConnectionString(token) + NoTypeLoading))
        {
            await connection.OpenAsync();
            Assert.Equal(3L, await new NpgsqlCommand(Count(first), connection).ExecuteScalarAsync());
            await using var parameterised = new NpgsqlCommand("INSERT INTO customers (id, name, email) VALUES ($1, 'limits', 'limits@example.com')", connection);
            parameterised.Parameters.Add(new NpgsqlParameter<int> { TypedValue = first + 4 });
            Assert.Equal(1, await parameterised.ExecuteNonQueryAsync());
            Assert.Equal(4L, await new NpgsqlCommand(Count(first), connection).ExecuteScalarAsync());
        }

        // In a transaction: the write that crosses fails it; nothing of the transaction stays.
        var (_, token2) = await AgentAsync();
        var second = FirstId();
        await using (var connection = new NpgsqlConnection(node.ConnectionString(token2) + NoTypeLoading))
        {
            await connection.OpenAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            Assert.Equal(2, await new NpgsqlCommand(Insert(second, 1, 2), connection, transaction).ExecuteNonQueryAsync());
            var refused = await Assert.ThrowsAsync<PostgresException>(() => new NpgsqlCommand(Insert(second, 3, 6), connection, transaction).ExecuteNonQueryAsync());
            Assert.Equal("53400", refused.SqlState);
        }

        await using (var connection = new NpgsqlConnection(node.ConnectionString(token2) + NoTypeLoading))
        {
            await connection.OpenAsync();
            Assert.Equal(0L, await new NpgsqlCommand(Count(second), connection).ExecuteScalarAsync());

            // A batch: the first statement fits, the second crosses; the batch is one implicit transaction, so neither stays.
            await using var batch = new NpgsqlBatch(connection) { BatchCommands = { new(Insert(second, 1, 2)), new(Insert(second, 3, 9)) } };
            Assert.Equal("53400", (await Assert.ThrowsAsync<PostgresException>(() => batch.ExecuteNonQueryAsync())).SqlState);
        }

        await using (var connection = new NpgsqlConnection(node.ConnectionString(token2) + NoTypeLoading))
        {
            await connection.OpenAsync();
            Assert.Equal(0L, await new NpgsqlCommand(Count(second), connection).ExecuteScalarAsync());

            // Rows reported changed count even when their transaction did not stay: 2 in the transaction, 2 in the batch.
            Assert.Equal(1, await new NpgsqlCommand(Insert(second, 1, 1), connection).ExecuteNonQueryAsync());
            Assert.Equal(1L, await new NpgsqlCommand(Count(second), connection).ExecuteScalarAsync());
        }
    }

    [Fact]
    public async Task Pipelined_queries_psql_and_a_cycle_that_failed_before_its_write_are_held_to_the_budget_without_hanging()
    {
        await using var cluster = await LimitsCluster.StartAsync(fixture, "guard-pipeline");
        var (_, token) = await AgentAsync();
        var first = FirstId();
        await using var client = await RawPgClient.ConnectAsync(cluster.Nodes[1].Settings.PostgresPort);
        Assert.Equal('Z', (await client.LoginAsync(GatewaySettings.AgentClientId, GatewaySettings.TargetName, token))[^1].Code);

        // Three Queries in one write: 2 rows, then 4 that would cross (3 left), then 2. Each gets its own answer, and
        // each runs in the transaction state the one before it left (the gateway's COMMIT of the first included).
        await client.SendAsync(w =>
        {
            FrontendWriter.Query(w, Insert(first, 1, 2));
            FrontendWriter.Query(w, Insert(first, 3, 6));
            FrontendWriter.Query(w, Insert(first, 3, 4));
        });
        var answers = new List<List<(char Code, byte[] Payload)>>();
        for (var i = 0; i < 3; i++)
        {
            answers.Add(await client.ReadUntilReadyAsync().WaitAsync(TimeSpan.FromSeconds(30)));
        }

        Assert.All(answers, a => Assert.Equal(('Z', 'I'), (a[^1].Code, (char)a[^1].Payload[0])));
        Assert.Null(RawSession.Error(answers[0]));
        Assert.Equal("53400", RawSession.Error(answers[1])?['C']);
        Assert.Null(RawSession.Error(answers[2]));
        Assert.Equal("4", await CountAsync(client, first));

        // An extended cycle whose first statement fails: the target skips the write after it, and the cycle still ends.
        await client.SendAsync(w =>
        {
            FrontendWriter.Parse(w, "", "SELECT 1/0");
            WireMessages.Bind(w, "", "");
            WireMessages.Execute(w, "");
            FrontendWriter.Parse(w, "", Insert(first, 5, 5));
            WireMessages.Bind(w, "", "");
            WireMessages.Execute(w, "");
            WireMessages.Sync(w);
        });
        var failed = await client.ReadUntilReadyAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("22012", RawSession.Error(failed)?['C']);
        Assert.Equal("4", await CountAsync(client, first));

        // The same with the error already answered (a Flush) before the write is sent: the write is not waited for.
        await client.SendAsync(w =>
        {
            FrontendWriter.Parse(w, "", "SELECT 1/0");
            WireMessages.Bind(w, "", "");
            WireMessages.Execute(w, "");
            WireMessages.Flush(w);
        });
        var error = new List<(char Code, byte[] Payload)>();
        while (error.Count == 0 || error[^1].Code != 'E')
        {
            error.Add(await client.ReadAsync().WaitAsync(TimeSpan.FromSeconds(30)));
        }

        await client.SendAsync(w =>
        {
            FrontendWriter.Parse(w, "", Insert(first, 5, 5));
            WireMessages.Bind(w, "", "");
            WireMessages.Execute(w, "");
            WireMessages.Sync(w);
        });
        var skipped = await client.ReadUntilReadyAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(('Z', 'I'), (skipped[^1].Code, (char)skipped[^1].Payload[0]));
        Assert.Null(RawSession.Error(skipped));
        Assert.Equal("4", await CountAsync(client, first));

        // psql, the real client (another agent, one node): the write that fits runs, the one that would cross is refused.
        var (psqlSubject, psqlToken) = await AgentAsync();
        var third = FirstId();
        async Task<ExternalCommand.Result> PsqlAsync(string sql) => await ExternalCommand.RunAsync(
            "psql",
            [$"host=127.0.0.1 port={cluster.Nodes[0].Settings.PostgresPort} dbname={GatewaySettings.TargetName} user={GatewaySettings.AgentClientId} sslmode=disable",
                "-X", "-v", "ON_ERROR_STOP=1", "-c", sql],
            TimeSpan.FromSeconds(60),
            environment: new Dictionary<string, string> { ["PGPASSWORD"] = psqlToken, ["PGCONNECT_TIMEOUT"] = "15" });
        var fits = await PsqlAsync(Insert(third, 1, 3));
        Assert.True(fits.ExitCode == 0, fits.ToString());
        Assert.Contains("INSERT 0 3", fits.StandardOutput, StringComparison.Ordinal);
        var crosses = await PsqlAsync($"UPDATE customers SET name = 'crossed' WHERE id BETWEEN {third} AND {third + 999}");
        Assert.NotEqual(0, crosses.ExitCode);
        Assert.Contains($"the statement changed 3 rows, more than the 2 left of the rows-changed budget of 5 rows per 1h for agent {psqlSubject}", crosses.StandardError, StringComparison.Ordinal);
        Assert.Equal("0", await ScalarAsync(client, $"SELECT count(*) FROM customers WHERE name = 'crossed' AND id BETWEEN {third} AND {third + 999}"));
    }

    private async Task<(string Subject, string Token)> AgentAsync()
    {
        var subject = $"budget-{Guid.NewGuid():N}";
        return (subject, await ResignedToken.CreateAsync(fixture.Node, c => c["sub"] = subject));
    }

    /// <summary>Customer ids of a test's own.</summary>
    private static int FirstId() => Random.Shared.Next(1_000, 1_000_000) * 1_000;

    private static string Insert(int first, int from, int to) =>
        $"INSERT INTO customers (id, name, email) SELECT g, 'limits', 'limits@example.com' FROM generate_series({first + from}, {first + to}) g";

    private static string Count(int first) => $"SELECT count(*) FROM customers WHERE id BETWEEN {first} AND {first + 999}";

    /// <summary>Runs <paramref name="sql"/> as a Query that must succeed; the transaction status after it.</summary>
    private static async Task<char> RunOkAsync(RawPgClient client, string sql)
    {
        await client.SendAsync(w => FrontendWriter.Query(w, sql));
        var answer = await client.ReadUntilReadyAsync();
        Assert.Null(RawSession.Error(answer));
        Assert.Single(answer, m => m.Code == 'Z');
        return (char)answer[^1].Payload[0];
    }

    /// <summary>Runs <paramref name="sql"/> as a Query that must fail: its error and the transaction status after it.</summary>
    private static async Task<(IReadOnlyDictionary<char, string> Error, char Status)> RunRefusedAsync(RawPgClient client, string sql)
    {
        await client.SendAsync(w => FrontendWriter.Query(w, sql));
        var answer = await client.ReadUntilReadyAsync();
        Assert.Single(answer, m => m.Code == 'Z');
        return (RawSession.Error(answer) ?? throw new Xunit.Sdk.XunitException($"'{sql}' was not refused"), (char)answer[^1].Payload[0]);
    }

    private static Task<string> CountAsync(RawPgClient client, int first) => ScalarAsync(client, Count(first));

    private static async Task<string> ScalarAsync(RawPgClient client, string sql)
    {
        await client.SendAsync(w => FrontendWriter.Query(w, sql));
        var answer = await client.ReadUntilReadyAsync();
        Assert.Null(RawSession.Error(answer));
        var row = answer.First(m => m.Code == 'D').Payload;
        var length = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(row.AsSpan(2));
        return System.Text.Encoding.UTF8.GetString(row, 6, length);
    }
}
