using Npgsql;
using OrleansGate.Policy.Tests;

namespace OrleansGate.IntegrationTests.Policy;

/// <summary>
/// The unbounded-write guardrail through real sessions, under a policy that allows bounded writes to orders:
/// WHERE clauses that select every row are refused, as simple queries and with the bound coming from a parameter.
/// Each statement runs inside a transaction that is rolled back, so one that got through would change nothing.
/// </summary>
[Collection(PolicyCollection.Name)]
public sealed class UnboundedWriteThroughGatewayTests(PolicyFixture fixture)
{
    private const string GuardrailDenial = "statement denied by rule \"guardrail:unbounded_write\"";

    [Fact]
    public async Task Where_clauses_that_bound_nothing_are_refused_and_a_bounded_write_is_allowed()
    {
        await fixture.ApplyAsync(PolicyFixture.OrdersWritePolicy);
        try
        {
            await using var session = await RawSession.OpenAsync(fixture.Node);
            var failures = new List<string>();
            foreach (var sql in UnboundedWriteCorpus.GuardrailBypasses)
            {
                var error = RawSession.Error(await session.QueryAsync($"BEGIN; {sql}; ROLLBACK"));
                if (error is null || error['C'] != "42501" || !error['M'].StartsWith(GuardrailDenial, StringComparison.Ordinal))
                {
                    failures.Add($"{sql} → {(error is null ? "no error" : $"{error['C']} {error['M']}")}");
                }
            }

            Assert.True(failures.Count == 0, $"{failures.Count} of {UnboundedWriteCorpus.GuardrailBypasses.Length} not refused by the guardrail:\n{string.Join('\n', failures)}");
            // A write that changes nothing (status = status), as a single statement: no allow rule covers BEGIN with a write.
            Assert.Null(RawSession.Error(await session.QueryAsync("UPDATE orders SET status = status WHERE id = 2")));
        }
        finally
        {
            await fixture.ApplyAsync(PolicyFixture.ReadOnlyPolicy);
        }
    }

    [Theory]
    [InlineData("DELETE FROM orders WHERE $1", true, null)]
    [InlineData("DELETE FROM orders WHERE $1 = $2", 1, 1)]
    [InlineData("UPDATE orders SET status = 'x' WHERE $1::boolean", true, null)]
    [InlineData("DELETE FROM orders WHERE id = 1 OR $1", true, null)]
    public async Task Parameter_that_makes_the_where_true_does_not_pass_the_guardrail(string sql, object first, object? second)
    {
        Assert.Contains(sql, UnboundedWriteCorpus.ParameterBypasses);
        await fixture.ApplyAsync(PolicyFixture.OrdersWritePolicy);
        try
        {
            await using var connection = new NpgsqlConnection(fixture.Node.ConnectionString(await fixture.Node.GetTokenAsync()));
            await connection.OpenAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            await using var command = new NpgsqlCommand(sql, connection, transaction) { Parameters = { new() { Value = first } } };
            if (second is not null)
            {
                command.Parameters.Add(new() { Value = second });
            }

            var denied = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());
            Assert.Equal("42501", denied.SqlState);
            Assert.StartsWith(GuardrailDenial, denied.MessageText, StringComparison.Ordinal);
            await transaction.RollbackAsync();
        }
        finally
        {
            await fixture.ApplyAsync(PolicyFixture.ReadOnlyPolicy);
        }
    }
}
