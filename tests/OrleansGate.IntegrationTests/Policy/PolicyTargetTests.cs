using System.Globalization;
using Npgsql;
using OrleansGate.IntegrationTests.Fixtures;

namespace OrleansGate.IntegrationTests.Policy;

/// <summary>
/// A target defined in the policy file (<c>targets:</c>) becomes a login target on every edge of the two-silo cluster
/// when the policy is applied, with its password read on the edge from the file the policy refers to; a policy
/// version without it takes it away for new logins. No restart, and the password is never logged or audited.
/// </summary>
[Collection(PolicyCollection.Name)]
public sealed class PolicyTargetTests(PolicyFixture fixture)
{
    private const string Target = "policy-demo";

    [Fact]
    public async Task A_target_defined_in_an_applied_policy_is_usable_on_both_nodes_and_goes_away_with_it()
    {
        var password = fixture.Node.Settings.TargetPassword;
        var passwordFile = Path.Combine(Path.GetTempPath(), $"policy-target-{Guid.NewGuid():N}.pw");
        File.WriteAllText(passwordFile, "");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite); // before the password is in it
        }

        File.WriteAllText(passwordFile, password + "\n");
        var logs = new[] { CapturedLog.Of(fixture.Node), CapturedLog.Of(fixture.OtherNode) };
        var marks = logs.Select(l => l.Mark).ToArray();
        var auditMark = await AuditSeqAsync();
        try
        {
            await fixture.ApplyAsync($"""
                version: tests-policy-target
                targets:
                  {Target}:
                    host: 127.0.0.1
                    port: {fixture.Postgres.Port.ToString(CultureInfo.InvariantCulture)}
                    database: demo
                    username: gateway_demo
                    password_file: {passwordFile}
                rules:
                  - name: policy-demo-read
                    effect: allow
                    reason: developers may read the policy's target
                    match:
                      groups: [developers]
                      targets: [{Target}]
                      kinds: [read]
                """);

            foreach (var node in new[] { fixture.Node, fixture.OtherNode })
            {
                await using var connection = await OpenAsync(node);
                Assert.Equal(Target, connection.Database);
                var customers = (long)(await new NpgsqlCommand("SELECT count(*) FROM customers", connection).ExecuteScalarAsync())!;
                Assert.True(customers > 0, $"no customer rows read through {node.Settings.NodeName}");
            }

            await fixture.ApplyAsync(PolicyFixture.ReadOnlyPolicy); // waits until both edges use its targets (none)
            foreach (var node in new[] { fixture.Node, fixture.OtherNode })
            {
                var refused = await Assert.ThrowsAsync<PostgresException>(() => OpenAsync(node));
                Assert.Equal("3D000", refused.SqlState);
                Assert.Contains($"\"{Target}\"", refused.MessageText, StringComparison.Ordinal);
            }
        }
        finally
        {
            await fixture.ApplyAsync(PolicyFixture.ReadOnlyPolicy);
            File.Delete(passwordFile);
        }

        var logged = logs.SelectMany((l, i) => l.Since(marks[i])).ToList();
        Assert.False(logged.Any(e => e.Contains(password)), "a node logged the target's password");
        Assert.Equal(0L, await AuditRowsContainingAsync(auditMark, password));
    }

    private static async Task<NpgsqlConnection> OpenAsync(GatewayNode node)
    {
        var connection = new NpgsqlConnection(node.ConnectionString(await node.GetTokenAsync(), Target) + ";Include Error Detail=true");
        try
        {
            await connection.OpenAsync();
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private async Task<long> AuditSeqAsync()
    {
        await using var state = new NpgsqlConnection(fixture.Node.Settings.StateConnectionString);
        await state.OpenAsync();
        return (long)(await new NpgsqlCommand("SELECT coalesce(max(seq), 0) FROM orleansgate_audit", state).ExecuteScalarAsync())!;
    }

    private async Task<long> AuditRowsContainingAsync(long afterSeq, string text)
    {
        await using var state = new NpgsqlConnection(fixture.Node.Settings.StateConnectionString);
        await state.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM orleansgate_audit a WHERE seq > $1 AND strpos(a::text, $2) > 0", state)
        {
            Parameters = { new() { Value = afterSeq }, new() { Value = text } },
        };
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
