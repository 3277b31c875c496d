using Npgsql;
using OrleansGate.Postgres.Protocol;

namespace OrleansGate.IntegrationTests.Policy;

/// <summary>
/// The gateway's prepared statements and portals are those the target holds, so none can smuggle a statement past
/// a decision: a re-Parse the target rejects does not replace the decided statement, names the gateway did not
/// see prepared (SQL PREPARE, DECLARE) are refused, DEALLOCATE and Close make the next Parse decided afresh, and the
/// table is bounded by refusing new names rather than by forgetting old ones.
/// </summary>
[Collection(PolicyCollection.Name)]
public sealed class PreparedStatementSmugglingTests(PolicyFixture fixture)
{
    private const string Write = "UPDATE orders SET status = 'smuggled' WHERE id = 3";

    /// <summary>Everything but DDL and privileges, SQL PREPARE and DECLARE included: only the gateway's bookkeeping refuses.</summary>
    internal const string PermissivePolicy = """
        version: tests-permissive
        rules:
          - name: developers-all
            effect: allow
            reason: developers may prepare statements
            match:
              groups: [developers]
              kinds: [read, write, procedural, transaction, session, lock]
        """;

    [Fact]
    public async Task Re_parse_of_an_existing_name_after_a_policy_change_does_not_let_the_old_statement_run()
    {
        await using var session = await RawSession.OpenAsync(fixture.Node);
        try
        {
            await fixture.ApplyAsync(PolicyFixture.OrdersWritePolicy);
            Assert.Null(RawSession.Error(await session.ExtendedAsync(w =>
            {
                FrontendWriter.Parse(w, "s", Write);
                WireMessages.Sync(w);
            })));

            await fixture.ApplyAsync(PolicyFixture.ReadAndSessionControlPolicy);

            // The target rejects the re-Parse (42P05) and keeps the UPDATE under "s".
            var reparsed = RawSession.Error(await session.ExtendedAsync(w =>
            {
                FrontendWriter.Parse(w, "s", "SELECT 1");
                WireMessages.Sync(w);
            }));
            Assert.Equal("42P05", reparsed?['C']);

            var bound = RawSession.Error(await session.ExtendedAsync(w =>
            {
                WireMessages.Bind(w, "", "s");
                WireMessages.Execute(w, "");
                WireMessages.Sync(w);
            }));
            Assert.Equal("42501", bound?['C']);
            Assert.StartsWith("statement denied by rule \"default-deny\"", bound?['M'], StringComparison.Ordinal);

            // Pipelined: the Bind is sent before the target has answered the re-Parse.
            await session.ExtendedAsync(w =>
            {
                FrontendWriter.Parse(w, "s", "SELECT 2");
                WireMessages.Sync(w);
                WireMessages.Bind(w, "", "s");
                WireMessages.Execute(w, "");
                WireMessages.Sync(w);
            });
            var pipelined = RawSession.Error(await session.ReadUntilReadyAsync());
            Assert.Equal("42501", pipelined?['C']);

            Assert.Null(RawSession.Error(await session.QueryAsync("SELECT 1")));
            Assert.Equal("open", await StatusOfOrder3Async());
        }
        finally
        {
            await fixture.ApplyAsync(PolicyFixture.ReadOnlyPolicy);
        }
    }

    [Fact]
    public async Task Bind_to_a_sql_prepared_name_and_execute_of_a_declared_cursor_are_refused_under_any_policy()
    {
        await fixture.ApplyAsync(PermissivePolicy);
        try
        {
            await using var session = await RawSession.OpenAsync(fixture.Node);
            Assert.Null(RawSession.Error(await session.QueryAsync($"PREPARE sp AS {Write}")));

            var bound = RawSession.Error(await session.ExtendedAsync(w =>
            {
                WireMessages.Bind(w, "", "sp");
                WireMessages.Execute(w, "");
                WireMessages.Sync(w);
            }));
            Assert.Equal("42501", bound?['C']);
            Assert.StartsWith("statement refused by the gateway: prepared statement \"sp\" cannot be bound: it was not prepared through the gateway", bound?['M'], StringComparison.Ordinal);

            Assert.Null(RawSession.Error(await session.QueryAsync("BEGIN; DECLARE c CURSOR FOR SELECT id FROM orders")));
            var executed = RawSession.Error(await session.ExtendedAsync(w =>
            {
                WireMessages.Execute(w, "c");
                WireMessages.Sync(w);
            }));
            Assert.Equal("42501", executed?['C']);
            Assert.StartsWith("statement refused by the gateway: portal \"c\" cannot be executed", executed?['M'], StringComparison.Ordinal);
            Assert.Null(RawSession.Error(await session.QueryAsync("ROLLBACK")));

            Assert.Null(RawSession.Error(await session.QueryAsync("SELECT 1")));
            Assert.Equal("open", await StatusOfOrder3Async());
        }
        finally
        {
            await fixture.ApplyAsync(PolicyFixture.ReadOnlyPolicy);
        }
    }

    [Theory]
    [InlineData("DEALLOCATE s")]
    [InlineData("DEALLOCATE ALL")]
    [InlineData("close")]
    public async Task Deallocated_or_closed_name_is_unknown_until_parsed_again_and_then_decided_afresh(string release)
    {
        await using var session = await RawSession.OpenAsync(fixture.Node);
        try
        {
            await fixture.ApplyAsync(PolicyFixture.OrdersWritePolicy);
            Assert.Null(RawSession.Error(await session.ExtendedAsync(w =>
            {
                FrontendWriter.Parse(w, "s", Write);
                WireMessages.Sync(w);
            })));
            await fixture.ApplyAsync(PolicyFixture.ReadAndSessionControlPolicy);

            Assert.Null(RawSession.Error(release == "close"
                ? await session.ExtendedAsync(w =>
                {
                    WireMessages.CloseStatement(w, "s");
                    WireMessages.Sync(w);
                })
                : await session.QueryAsync(release)));

            var unknown = RawSession.Error(await session.ExtendedAsync(w =>
            {
                WireMessages.Bind(w, "", "s");
                WireMessages.Execute(w, "");
                WireMessages.Sync(w);
            }));
            Assert.StartsWith("statement refused by the gateway: prepared statement \"s\" cannot be bound", unknown?['M'], StringComparison.Ordinal);

            var reparsedRead = await session.ExtendedAsync(w =>
            {
                FrontendWriter.Parse(w, "s", "SELECT 'fresh'");
                WireMessages.Bind(w, "", "s");
                WireMessages.Execute(w, "");
                WireMessages.Sync(w);
            });
            Assert.Null(RawSession.Error(reparsedRead));
            Assert.Contains(reparsedRead, m => m.Code == 'D');

            Assert.Null(RawSession.Error(await session.ExtendedAsync(w =>
            {
                WireMessages.CloseStatement(w, "s");
                WireMessages.Sync(w);
            })));
            var reparsedWrite = RawSession.Error(await session.ExtendedAsync(w =>
            {
                FrontendWriter.Parse(w, "s", Write);
                WireMessages.Bind(w, "", "s");
                WireMessages.Execute(w, "");
                WireMessages.Sync(w);
            }));
            Assert.Equal("42501", reparsedWrite?['C']);
            Assert.StartsWith("statement denied by rule \"default-deny\"", reparsedWrite?['M'], StringComparison.Ordinal);
            Assert.Equal("open", await StatusOfOrder3Async());
        }
        finally
        {
            await fixture.ApplyAsync(PolicyFixture.ReadOnlyPolicy);
        }
    }

    [Fact]
    public async Task Parse_past_ten_thousand_names_is_refused_with_54000_audited_and_the_session_stays_usable()
    {
        await using var session = await RawSession.OpenAsync(fixture.Node);
        const int Limit = 10_000;
        for (var batch = 0; batch < Limit / 500; batch++)
        {
            var first = batch * 500;
            var answer = await session.ExtendedAsync(w =>
            {
                for (var i = first; i < first + 500; i++)
                {
                    FrontendWriter.Parse(w, $"n{i}", "SELECT 1");
                }

                WireMessages.Sync(w);
            });
            Assert.Null(RawSession.Error(answer));
        }

        var id = Guid.NewGuid().ToString("N");
        var refused = RawSession.Error(await session.ExtendedAsync(w =>
        {
            FrontendWriter.Parse(w, "one-too-many", $"SELECT 1 AS over_the_limit_{id}");
            WireMessages.Sync(w);
        }));
        Assert.Equal("54000", refused?['C']);
        Assert.StartsWith("statement refused by the gateway: this session already holds 10000 prepared statements", refused?['M'], StringComparison.Ordinal);
        var audited = Assert.Single(await EdgeRefusalAuditTests.AuditRowsAsync(fixture, $"statement_normalized LIKE '%over_the_limit_{id}%'"));
        Assert.Equal(("Deny", "gateway:statement-limit", "54000"), (audited.Decision, audited.Rule, audited.Outcome));

        // The names already held still work, re-parsing one of them is not a new name, and closing one makes room.
        Assert.Contains((await session.ExtendedAsync(w =>
        {
            WireMessages.Bind(w, "", "n0");
            WireMessages.Execute(w, "");
            WireMessages.Sync(w);
        })), m => m.Code == 'D');
        var afterClose = await session.ExtendedAsync(w =>
        {
            WireMessages.CloseStatement(w, "n1");
            WireMessages.Sync(w);
        });
        Assert.Null(RawSession.Error(afterClose));
        Assert.Null(RawSession.Error(await session.ExtendedAsync(w =>
        {
            FrontendWriter.Parse(w, "one-too-many", "SELECT 1");
            WireMessages.Sync(w);
        })));
        Assert.Null(RawSession.Error(await session.QueryAsync("SELECT 1")));
    }

    private Task<string?> StatusOfOrder3Async() => StatusOfOrder3Async(fixture);

    /// <summary>The row the tests' writes would change, read on the target directly.</summary>
    internal static async Task<string?> StatusOfOrder3Async(PolicyFixture fixture)
    {
        await using var direct = new NpgsqlConnection(fixture.TargetConnectionString);
        await direct.OpenAsync();
        return (string?)await new NpgsqlCommand("SELECT status FROM orders WHERE id = 3", direct).ExecuteScalarAsync();
    }
}
