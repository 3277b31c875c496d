using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using OrleansGate.Edge.Classification;
using OrleansGate.Edge.Targets;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.Model;

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

    /// <summary>
    /// A watcher of its own (the node's real grain factory, target options and logging, not started as a service) takes
    /// pushes as the policy grain sends them: a snapshot whose targets cannot be read keeps the previous targets, is
    /// logged once, and does not stop a later version from being published. The shared node's watcher is left alone.
    /// </summary>
    [Fact]
    public async Task A_snapshot_whose_targets_cannot_be_read_keeps_the_previous_ones_and_is_logged_once()
    {
        var services = fixture.Node.Services;
        var catalog = new TargetCatalog(services.GetRequiredService<IOptionsMonitor<Dictionary<string, TargetOptions>>>());
        var policy = new OrleansGate.Edge.Decisions.EdgePolicy(TimeProvider.System, services.GetRequiredService<ILogger<OrleansGate.Edge.Decisions.EdgePolicy>>());
        var watcher = new PolicyVersionWatcher(
            services.GetRequiredService<IGrainFactory>(), catalog, policy, TimeProvider.System, services.GetRequiredService<ILogger<PolicyVersionWatcher>>());
        var log = CapturedLog.Of(fixture.Node);
        var mark = log.Mark;
        const string Good = "targets:\n  pushed: { host: 127.0.0.1, database: demo, username: gateway_demo, password_env: UNUSED_VARIABLE }\nrules: []\n";
        const string Bad = "targets:\n  pushed: { host: 127.0.0.1, database: demo, username: gateway_demo, password: leaked-inline-value }\nrules: []\n";

        await watcher.PolicyChanged(Snapshot(1, Good));
        await watcher.PolicyChanged(Snapshot(2, Bad));
        await watcher.PolicyChanged(Snapshot(2, Bad));
        Assert.Equal(1, catalog.PolicyVersion);
        Assert.True(catalog.TryGet("pushed", out var kept));
        Assert.Equal("UNUSED_VARIABLE", kept.Options.PasswordEnvironmentVariable);

        await watcher.PolicyChanged(Snapshot(3, "rules: []\n"));
        Assert.Equal(3, catalog.PolicyVersion);
        Assert.False(catalog.TryGet("pushed", out _));
        Assert.Equal(3, watcher.Version);

        var warnings = log.Since(mark).Where(e => e.Category == typeof(PolicyVersionWatcher).FullName && e.Level == LogLevel.Warning).ToList();
        var warning = Assert.Single(warnings);
        Assert.Contains("The targets of policy version 2 cannot be read; keeping those of version 1: push.yaml:2: inline passwords are not accepted", warning.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(log.Since(mark), e => e.Contains("leaked-inline-value"));

        static PolicySnapshot Snapshot(long version, string yaml) => new(version, $"v{version}", yaml, "push.yaml", "", DateTimeOffset.UnixEpoch);
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
