using Npgsql;

namespace OrleansGate.IntegrationTests.Policy;

/// <summary>Every refusal and every statement audit row names the policy version in force.</summary>
[Collection(PolicyCollection.Name)]
public sealed class PolicyVersionRecordTests(PolicyFixture fixture)
{
    [Fact]
    public async Task Unparsable_statement_refusal_names_the_policy_version_in_force_not_zero()
    {
        var current = (await fixture.PolicyGrain.GetCurrent())!;
        await using var session = await RawSession.OpenAsync(fixture.Node);

        var refused = RawSession.Error(await session.QueryAsync("SELEC 1"));

        Assert.NotNull(refused);
        Assert.Equal("42501", refused['C']);
        Assert.StartsWith("statement denied by rule \"gateway:unparsable\"", refused['M'], StringComparison.Ordinal);
        Assert.Equal($"policy version {current.Version} (tests-read-only)", refused['D']);
    }

    [Fact]
    public async Task Statement_audit_rows_carry_the_policy_version_that_decided_them()
    {
        var current = (await fixture.PolicyGrain.GetCurrent())!;
        var marker = $"audit_{Guid.NewGuid():N}";
        await using var session = await RawSession.OpenAsync(fixture.OtherNode);

        Assert.Null(RawSession.Error(await session.QueryAsync($"SELECT 1 AS {marker}")));
        Assert.NotNull(RawSession.Error(await session.QueryAsync($"UPDATE orders AS {marker} SET status = status WHERE id = 2")));

        await using var state = new NpgsqlConnection(fixture.Node.Settings.StateConnectionString);
        await state.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT decision, rule, policy_version FROM orleansgate_audit WHERE kind = 'Statement' AND statement_normalized LIKE $1 ORDER BY seq", state)
        {
            Parameters = { new() { Value = $"%{marker}%" } },
        };
        var rows = new List<(string Decision, string Rule, long? Version)>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                rows.Add((reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetInt64(2)));
            }
        }

        Assert.Equal(2, rows.Count);
        Assert.Equal(("Allow", "developers-read", current.Version), rows[0]);
        Assert.Equal(("Deny", "default-deny", current.Version), rows[1]);
    }
}
