using System.Text;
using Npgsql;
using OrleansGate.Postgres.Protocol;

namespace OrleansGate.IntegrationTests.Policy;

/// <summary>
/// Pipelining clients (libpq pipeline mode: prepare, pipeline sync, query-prepared without reading in between) send
/// a Bind or Execute of a name whose Parse or Bind is in an earlier, still unanswered Sync cycle. The gateway decides
/// it once the target has answered that cycle: it runs when the target holds an allowed statement, and is refused
/// when the target kept something else under the name (a denied re-Parse, or a SQL PREPARE the re-Parse collided with).
/// </summary>
[Collection(PolicyCollection.Name)]
public sealed class PipelinedPreparedStatementTests(PolicyFixture fixture)
{
    private const string Write = "UPDATE orders SET status = 'piped' WHERE id = 3";

    [Fact]
    public async Task Bind_of_a_statement_parsed_in_an_earlier_unanswered_cycle_runs()
    {
        await using var session = await RawSession.OpenAsync(fixture.Node);
        var prepared = await session.ExtendedAsync(w =>
        {
            FrontendWriter.Parse(w, "piped", "SELECT 'piped' AS answer");
            WireMessages.Sync(w);
            WireMessages.Bind(w, "", "piped");
            WireMessages.Execute(w, "");
            WireMessages.Sync(w);
        });
        Assert.Null(RawSession.Error(prepared));
        Assert.Contains(prepared, m => m.Code == '1');

        var executed = await session.ReadUntilReadyAsync();
        Assert.Null(RawSession.Error(executed));
        Assert.Contains(executed, m => m.Code == '2');
        Assert.Contains(executed, m => m.Code == 'D');
    }

    [Fact]
    public async Task Npgsql_batch_with_error_barriers_binds_an_auto_prepared_statement_across_syncs()
    {
        // Npgsql auto-prepares the first command (Parse "_auto1", Bind, Execute, Sync) and binds the second one to
        // the same name before reading any answer: a real client's Bind of a Parse in an earlier, unanswered cycle.
        var token = await fixture.Node.GetTokenAsync();
        await using var connection = new NpgsqlConnection(fixture.Node.ConnectionString(token) + ";Max Auto Prepare=10;Auto Prepare Min Usages=1");
        await connection.OpenAsync();
        await using var batch = new NpgsqlBatch(connection) { EnableErrorBarriers = true };
        for (var i = 0; i < 3; i++)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT count(*) FROM orders WHERE id > $1") { Parameters = { new() { Value = i } } });
        }

        await using var reader = await batch.ExecuteReaderAsync();
        var counts = new List<long>();
        do
        {
            Assert.True(await reader.ReadAsync());
            counts.Add(reader.GetInt64(0));
        }
        while (await reader.NextResultAsync());

        Assert.Equal(3, counts.Count);
        Assert.True(counts[0] > counts[2], $"counts {string.Join(", ", counts)}");
    }

    [Fact]
    public async Task Execute_of_a_portal_bound_in_an_earlier_unanswered_cycle_runs_inside_a_transaction()
    {
        await using var session = await RawSession.OpenAsync(fixture.Node);
        try
        {
            await fixture.ApplyAsync(PolicyFixture.ReadAndSessionControlPolicy);
            Assert.Null(RawSession.Error(await session.QueryAsync("BEGIN")));
            var bound = await session.ExtendedAsync(w =>
            {
                FrontendWriter.Parse(w, "", "SELECT id FROM orders ORDER BY id");
                WireMessages.Bind(w, "held", "");
                WireMessages.Sync(w);
                WireMessages.Execute(w, "held");
                WireMessages.Sync(w);
            });
            Assert.Null(RawSession.Error(bound));

            var executed = await session.ReadUntilReadyAsync();
            Assert.Null(RawSession.Error(executed));
            Assert.Contains(executed, m => m.Code == 'D');
            Assert.Null(RawSession.Error(await session.QueryAsync("COMMIT")));
        }
        finally
        {
            await fixture.ApplyAsync(PolicyFixture.ReadOnlyPolicy);
        }
    }

    [Fact]
    public async Task Pipelined_re_parse_of_an_allowed_name_with_a_denied_statement_then_bind_is_refused()
    {
        await using var session = await RawSession.OpenAsync(fixture.Node);
        await ParseAsync(session, "s", "SELECT 'allowed'");

        var reparsed = RawSession.Error(await session.ExtendedAsync(w =>
        {
            FrontendWriter.Parse(w, "s", Write);
            WireMessages.Sync(w);
            WireMessages.Bind(w, "", "s");
            WireMessages.Execute(w, "");
            WireMessages.Sync(w);
        }));
        Assert.Equal("42501", reparsed?['C']);

        var bound = RawSession.Error(await session.ReadUntilReadyAsync());
        Assert.Equal("42501", bound?['C']);
        Assert.StartsWith("statement denied by rule \"default-deny\"", bound?['M'], StringComparison.Ordinal);

        Assert.Null(RawSession.Error(await session.QueryAsync("SELECT 1")));
        Assert.Equal("open", await StatusOfOrder3Async());
    }

    [Fact]
    public async Task Pipelined_parse_colliding_with_a_sql_prepared_name_does_not_let_the_bind_run_that_statement()
    {
        await fixture.ApplyAsync(PreparedStatementSmugglingTests.PermissivePolicy);
        try
        {
            await using var session = await RawSession.OpenAsync(fixture.Node);
            Assert.Null(RawSession.Error(await session.QueryAsync($"PREPARE sp AS {Write}")));

            // The target rejects the Parse (42P05) and keeps the UPDATE under "sp": the Bind would run it.
            var parsed = RawSession.Error(await session.ExtendedAsync(w =>
            {
                FrontendWriter.Parse(w, "sp", "SELECT 1");
                WireMessages.Sync(w);
                WireMessages.Bind(w, "", "sp");
                WireMessages.Execute(w, "");
                WireMessages.Sync(w);
            }));
            Assert.Equal("42P05", parsed?['C']);

            var bound = RawSession.Error(await session.ReadUntilReadyAsync());
            Assert.Equal("42501", bound?['C']);
            Assert.StartsWith("statement refused by the gateway: prepared statement \"sp\" cannot be bound", bound?['M'], StringComparison.Ordinal);
            Assert.Equal("open", await StatusOfOrder3Async());
        }
        finally
        {
            await fixture.ApplyAsync(PolicyFixture.ReadOnlyPolicy);
        }
    }

    [Fact]
    public async Task Pipelined_close_then_bind_of_the_closed_name_is_refused()
    {
        await using var session = await RawSession.OpenAsync(fixture.Node);
        await ParseAsync(session, "c", "SELECT 'closed'");

        var closed = await session.ExtendedAsync(w =>
        {
            WireMessages.CloseStatement(w, "c");
            WireMessages.Sync(w);
            WireMessages.Bind(w, "", "c");
            WireMessages.Execute(w, "");
            WireMessages.Sync(w);
        });
        Assert.Null(RawSession.Error(closed));

        var bound = RawSession.Error(await session.ReadUntilReadyAsync());
        Assert.StartsWith("statement refused by the gateway: prepared statement \"c\" cannot be bound", bound?['M'], StringComparison.Ordinal);
        Assert.Null(RawSession.Error(await session.QueryAsync("SELECT 1")));
    }

    [Fact]
    public async Task Fifty_thousand_pipelined_binds_and_executes_over_several_unread_cycles_are_all_answered()
    {
        // Sent before any answer is read, so each Bind and Execute is resolved with tens of thousands of messages of
        // the same names awaiting the target's answer; the re-Parse in cycle 2 makes the Binds after it wait for it, and
        // in the cycles after it each Bind of "p" follows a Close of "p" in the same cycle.
        const int Many = 50_000;
        const int Later = 1_000;
        const int LaterCycles = 3;
        await using var session = await RawSession.OpenAsync(fixture.Node);
        var sending = Task.Run(() => session.SendAsync(w =>
        {
            FrontendWriter.Parse(w, "many", "SELECT 'first' AS answer");
            WireMessages.Sync(w);
            for (var i = 0; i < Many; i++)
            {
                WireMessages.Bind(w, "", "many");
                WireMessages.Execute(w, "");
            }

            WireMessages.Sync(w);
            WireMessages.CloseStatement(w, "many");
            FrontendWriter.Parse(w, "many", "SELECT 'second' AS answer");
            WireMessages.Sync(w);
            for (var cycle = 0; cycle < LaterCycles; cycle++)
            {
                for (var i = 0; i < Later; i++)
                {
                    WireMessages.Bind(w, "p", "many");
                    WireMessages.Execute(w, "p");
                    WireMessages.ClosePortal(w, "p"); // a named portal lasts to the transaction's end: closed to be bound again
                }

                WireMessages.Sync(w);
            }
        }));

        var parsed = await session.ReadUntilReadyAsync();
        Assert.Equal("1Z", string.Concat(parsed.Select(m => m.Code)));
        AssertAnsweredRows(await session.ReadUntilReadyAsync(), Many, "first");
        Assert.Equal("31Z", string.Concat((await session.ReadUntilReadyAsync()).Select(m => m.Code)));
        for (var cycle = 0; cycle < LaterCycles; cycle++)
        {
            AssertAnsweredRows(await session.ReadUntilReadyAsync(), Later, "second", closes: Later);
        }

        await sending;
        Assert.Null(RawSession.Error(await session.QueryAsync("SELECT 1")));
    }

    /// <summary>One cycle's answer to <paramref name="count"/> Bind/Execute pairs of a statement returning <paramref name="answer"/>.</summary>
    private static void AssertAnsweredRows(List<(char Code, byte[] Payload)> answers, int count, string answer, int closes = 0)
    {
        Assert.Null(RawSession.Error(answers));
        Assert.Equal('Z', answers[^1].Code);
        Assert.Equal(count, answers.Count(m => m.Code == '2'));
        Assert.Equal(closes, answers.Count(m => m.Code == '3'));
        Assert.Equal(count, answers.Count(m => m.Code == 'C'));
        var rows = answers.Where(m => m.Code == 'D').ToList();
        Assert.Equal(count, rows.Count);
        Assert.All(rows, row => Assert.EndsWith(answer, Encoding.UTF8.GetString(row.Payload), StringComparison.Ordinal));
    }

    /// <summary>Prepares a statement in a cycle of its own, answered before anything else is sent.</summary>
    private static async Task ParseAsync(RawSession session, string name, string sql) =>
        Assert.Null(RawSession.Error(await session.ExtendedAsync(w =>
        {
            FrontendWriter.Parse(w, name, sql);
            WireMessages.Sync(w);
        })));

    private Task<string?> StatusOfOrder3Async() => PreparedStatementSmugglingTests.StatusOfOrder3Async(fixture);
}
