using Npgsql;
using OrleansGate.Postgres.Protocol;

namespace OrleansGate.IntegrationTests.Policy;

/// <summary>
/// The decision is made at Parse and made again at Execute when the policy changed since: named statements,
/// portals and DEALLOCATE + re-Parse cannot carry a write past the read-only policy.
/// </summary>
[Collection(PolicyCollection.Name)]
public sealed class ExtendedProtocolPolicyTests(PolicyFixture fixture)
{
    private const string Write = "UPDATE orders SET status = 'smuggled' WHERE id = 3";

    [Fact]
    public async Task Same_write_gets_the_same_decision_over_every_path()
    {
        // DEALLOCATE is session control: allowed here, writes still are not.
        await fixture.ApplyAsync(PolicyFixture.ReadAndSessionControlPolicy);
        try
        {
            await SameWriteOverEveryPathAsync();
        }
        finally
        {
            await fixture.ApplyAsync(PolicyFixture.ReadOnlyPolicy);
        }
    }

    private async Task SameWriteOverEveryPathAsync()
    {
        await using var session = await RawSession.OpenAsync(fixture.Node);
        var simple = Denial(await session.QueryAsync(Write));
        var unnamed = Denial(await session.ExtendedAsync(w =>
        {
            FrontendWriter.Parse(w, "", Write);
            WireMessages.Bind(w, "", "");
            WireMessages.Execute(w, "");
            WireMessages.Sync(w);
        }));
        var namedParse = Denial(await session.ExtendedAsync(w =>
        {
            FrontendWriter.Parse(w, "w1", Write);
            WireMessages.Sync(w);
        }));
        var namedLater = Denial(await session.ExtendedAsync(w =>
        {
            WireMessages.Bind(w, "p1", "w1");
            WireMessages.Execute(w, "p1");
            WireMessages.Sync(w);
        }));
        Assert.Null(RawSession.Error(await session.QueryAsync("DEALLOCATE ALL")));
        var reparsed = Denial(await session.ExtendedAsync(w =>
        {
            FrontendWriter.Parse(w, "w1", Write);
            WireMessages.Bind(w, "", "w1");
            WireMessages.Execute(w, "");
            WireMessages.Sync(w);
        }));

        Assert.All(new[] { unnamed, namedParse, namedLater, reparsed }, d => Assert.Equal(simple, d));
        Assert.Null(RawSession.Error(await session.QueryAsync("SELECT 1")));
        Assert.Equal("open", await StatusOfOrder3Async());
    }

    [Fact]
    public async Task Same_write_through_npgsql_unprepared_and_prepared_is_denied_alike()
    {
        await using var connection = new NpgsqlConnection(fixture.Node.ConnectionString(await fixture.Node.GetTokenAsync()));
        await connection.OpenAsync();
        await using var unprepared = new NpgsqlCommand(Write, connection);
        var first = await Assert.ThrowsAsync<PostgresException>(() => unprepared.ExecuteNonQueryAsync());
        await using var prepared = new NpgsqlCommand(Write, connection);
        var second = await Assert.ThrowsAsync<PostgresException>(async () =>
        {
            await prepared.PrepareAsync();
            await prepared.ExecuteNonQueryAsync();
        });

        Assert.Equal("42501", first.SqlState);
        Assert.Equal(first.MessageText, second.MessageText);
        Assert.Equal(1, await new NpgsqlCommand("SELECT 1", connection).ExecuteScalarAsync());
    }

    [Fact]
    public async Task Statement_and_portal_prepared_under_an_older_policy_are_refused_at_execute_after_a_change()
    {
        await using var session = await RawSession.OpenAsync(fixture.Node);
        try
        {
            await fixture.ApplyAsync(PolicyFixture.OrdersWritePolicy);

            // Allowed at Parse under the permissive version; a portal bound from it too.
            var prepared = await session.ExtendedAsync(w =>
            {
                FrontendWriter.Parse(w, "s1", Write);
                WireMessages.Bind(w, "keep", "s1");
                WireMessages.Sync(w);
            });
            Assert.Null(RawSession.Error(prepared));

            var readOnly = await fixture.ApplyAsync(PolicyFixture.ReadOnlyPolicy);
            var viaStatement = Denial(await session.ExtendedAsync(w =>
            {
                WireMessages.Bind(w, "", "s1");
                WireMessages.Execute(w, "");
                WireMessages.Sync(w);
            }));

            Assert.Equal($"statement denied by rule \"default-deny\": no policy rule allows this statement|policy version {readOnly.Version} (tests-read-only)", viaStatement);
            Assert.Equal("open", await StatusOfOrder3Async());
        }
        finally
        {
            await fixture.ApplyAsync(PolicyFixture.ReadOnlyPolicy);
        }
    }

    [Fact]
    public async Task Portal_bound_before_a_policy_change_is_refused_at_execute_in_the_same_transaction()
    {
        await using var session = await RawSession.OpenAsync(fixture.Node);
        try
        {
            await fixture.ApplyAsync(PolicyFixture.OrdersWritePolicy);
            // A portal lives until its transaction ends: keep one open across the policy change.
            Assert.Null(RawSession.Error(await session.QueryAsync("BEGIN")));
            var bound = await session.ExtendedAsync(w =>
            {
                FrontendWriter.Parse(w, "s2", Write);
                WireMessages.Bind(w, "p2", "s2");
                WireMessages.Sync(w);
            });
            Assert.Null(RawSession.Error(bound));

            await fixture.ApplyAsync(PolicyFixture.ReadAndSessionControlPolicy);
            var denied = Denial(await session.ExtendedAsync(w =>
            {
                WireMessages.Execute(w, "p2");
                WireMessages.Sync(w);
            }));

            Assert.StartsWith("statement denied by rule \"default-deny\"", denied, StringComparison.Ordinal);
            Assert.Null(RawSession.Error(await session.QueryAsync("ROLLBACK")));
            Assert.Equal("open", await StatusOfOrder3Async());
        }
        finally
        {
            await fixture.ApplyAsync(PolicyFixture.ReadOnlyPolicy);
        }
    }

    /// <summary>"message|detail" of the 42501 refusal in <paramref name="messages"/>.</summary>
    private static string Denial(List<(char Code, byte[] Payload)> messages)
    {
        var error = RawSession.Error(messages) ?? throw new Xunit.Sdk.XunitException("no ErrorResponse: the statement was not refused");
        Assert.Equal("42501", error['C']);
        return $"{error['M']}|{error.GetValueOrDefault('D')}";
    }

    private async Task<string?> StatusOfOrder3Async()
    {
        await using var direct = new NpgsqlConnection(fixture.TargetConnectionString);
        await direct.OpenAsync();
        return (string?)await new NpgsqlCommand("SELECT status FROM orders WHERE id = 3", direct).ExecuteScalarAsync();
    }
}
