using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OrleansGate.Grains;
using OrleansGate.Host.Commands;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.IntegrationTests.Infrastructure;
using OrleansGate.Model;
using OrleansGate.Postgres.Protocol;

namespace OrleansGate.IntegrationTests.Policy;

/// <summary>
/// Policy versions on a two-silo cluster: <c>orleansgate policy apply</c> and the file watch push a new version
/// that open sessions on both silos obey at their next statement, without being dropped.
/// </summary>
[Collection(PolicyCollection.Name)]
public sealed class PolicyChangeTests(PolicyFixture fixture)
{
    private const string Write = "UPDATE orders SET status = status WHERE id = 2";

    [Fact]
    public async Task Policy_apply_takes_effect_on_the_next_statement_on_every_silo_and_keeps_sessions()
    {
        await fixture.ApplyAsync(PolicyFixture.OrdersWritePolicy);
        try
        {
            await ApplyThroughCliWhileSessionsAreOpenAsync();
        }
        finally
        {
            await fixture.ApplyAsync(PolicyFixture.ReadOnlyPolicy);
        }
    }

    private async Task ApplyThroughCliWhileSessionsAreOpenAsync()
    {
        await using var onFirst = await OpenAsync(fixture.Node);
        await using var onSecond = await OpenAsync(fixture.OtherNode);
        var pids = new[] { await BackendPidAsync(onFirst), await BackendPidAsync(onSecond) };
        Assert.Equal(1, await new NpgsqlCommand(Write, onFirst).ExecuteNonQueryAsync());
        Assert.Equal(1, await new NpgsqlCommand(Write, onSecond).ExecuteNonQueryAsync());

        var file = GatewaySettings.WritePolicyFile(PolicyFixture.ReadOnlyPolicy);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await CommandLine.RunAsync(["--config", fixture.Node.Settings.WriteConfigFile(), "policy", "apply", file], stdout, stderr, CancellationToken.None);
        Assert.True(code == 0, stderr.ToString());
        var applied = await fixture.PolicyGrain.GetCurrent();
        Assert.Contains($"applied as version {applied!.Version} (tests-read-only)", stdout.ToString(), StringComparison.Ordinal);

        // No waiting: apply returns once every silo and edge has the version.
        foreach (var connection in new[] { onFirst, onSecond })
        {
            var denied = await Assert.ThrowsAsync<PostgresException>(() => new NpgsqlCommand(Write, connection).ExecuteNonQueryAsync());
            Assert.Equal("42501", denied.SqlState);
            Assert.Equal("statement denied by rule \"default-deny\": no policy rule allows this statement", denied.MessageText);
            Assert.Equal($"policy version {applied.Version} (tests-read-only)", denied.Detail);
        }

        Assert.Equal(pids, new[] { await BackendPidAsync(onFirst), await BackendPidAsync(onSecond) });
    }

    [Fact]
    public async Task Invalid_policy_apply_names_file_and_line_and_changes_nothing()
    {
        var before = await fixture.PolicyGrain.GetCurrent();
        var file = GatewaySettings.WritePolicyFile("rules:\n  - name: r\n    effect: allow\n    reason: x\n    match: { kinds: [reed] }\n");
        using var stderr = new StringWriter();

        var code = await CommandLine.RunAsync(["--config", fixture.Node.Settings.WriteConfigFile(), "policy", "apply", file], TextWriter.Null, stderr, CancellationToken.None);
        var grainResult = await fixture.PolicyGrain.Apply(await File.ReadAllTextAsync(file), file);

        Assert.Equal(1, code);
        Assert.Contains($"{file}:5: unknown statement kind 'reed'", stderr.ToString(), StringComparison.Ordinal);
        Assert.Equal(PolicyApplyOutcome.Invalid, grainResult.Outcome);
        Assert.Contains($"{file}:5:", grainResult.Error, StringComparison.Ordinal);
        Assert.Equal(before, await fixture.PolicyGrain.GetCurrent());
    }

    [Fact]
    public async Task Editing_the_watched_policy_file_applies_the_new_version()
    {
        var observer = new TestPolicyObserver();
        var grains = fixture.Node.Services.GetRequiredService<IGrainFactory>();
        var reference = grains.CreateObjectReference<IPolicyObserver>(observer);
        await fixture.PolicyGrain.Subscribe(reference);
        var edited = observer.WaitForAsync(s => s.Label == "tests-orders-write");
        try
        {
            await File.WriteAllTextAsync(fixture.PolicyFile, PolicyFixture.OrdersWritePolicy);
            var snapshot = await edited;

            Assert.Equal(Path.GetFullPath(fixture.PolicyFile), snapshot.Source);
            await using var connection = await OpenAsync(fixture.OtherNode);
            Assert.Equal(1, await new NpgsqlCommand(Write, connection).ExecuteNonQueryAsync());
        }
        finally
        {
            var restored = observer.WaitForAsync(s => s.Label == "tests-read-only");
            await File.WriteAllTextAsync(fixture.PolicyFile, PolicyFixture.ReadOnlyPolicy);
            await restored;
            grains.DeleteObjectReference<IPolicyObserver>(reference);
        }
    }

    [Fact]
    public async Task Approve_rule_of_the_sample_policy_holds_the_write_with_a_notice_until_an_approver_denies_it()
    {
        await fixture.ApplyAsync(await File.ReadAllTextAsync(Path.Combine(PolicyFixture.RepoRoot(), "deploy", "local", "policy.yaml")));
        try
        {
            await using var session = await RawSession.OpenAsync(fixture.OtherNode);
            await session.SendAsync(w => FrontendWriter.Query(w, "UPDATE orders SET status = 'x' WHERE id = 1"));
            var grains = fixture.Node.Services.GetRequiredService<IGrainFactory>();
            string? id = null;
            await Poll.UntilAsync(async () =>
            {
                id = (await grains.GetGrain<IApprovalDirectoryGrain>(ApprovalKeys.Directory).List()).FirstOrDefault();
                return id is not null;
            }, "no approval was opened for the write");
            var approver = new AgentIdentity(fixture.Node.Settings.Issuer, "alice", ["dba"]);
            var vote = await grains.GetGrain<IApprovalGrain>(id!).Vote(new ApprovalVote(approver, false, "not now", TimeSpan.Zero, "test"));
            Assert.Equal(ApprovalVoteOutcome.Decided, vote.Outcome);

            var answer = await session.ReadUntilReadyAsync();
            var notice = answer.Single(m => m.Code == 'N');
            Assert.Contains($"statement waits for approval {id} (rule \"orders-writes-need-approval\"", System.Text.Encoding.UTF8.GetString(notice.Payload), StringComparison.Ordinal);
            var refused = RawSession.Error(answer);
            Assert.NotNull(refused);
            Assert.Equal("42501", refused['C']);
            Assert.Equal($"statement denied by rule \"orders-writes-need-approval\": approval {id} was denied by alice: not now", refused['M']);
            Assert.Null(RawSession.Error(await session.QueryAsync("SELECT count(*) FROM orders")));
        }
        finally
        {
            await fixture.ApplyAsync(PolicyFixture.ReadOnlyPolicy);
        }
    }

    [Fact]
    public async Task A_session_a_mask_applies_to_only_after_it_opened_is_ended_and_new_sessions_are_masked()
    {
        await using var before = await OpenAsync(fixture.OtherNode);
        await fixture.ApplyAsync(PolicyFixture.ReadOnlyPolicy.Replace("rules:", $$"""
            masks:
              - name: customer-pii
                match: { subjects: [{{GatewaySettings.AgentClientId}}] }
                columns: [public.customers.email]
                method: redact
            rules:
            """, StringComparison.Ordinal));
        try
        {
            // Its answers in flight were not read through the masks: it is refused and ended, never answered in clear.
            var ended = await Assert.ThrowsAnyAsync<NpgsqlException>(() => new NpgsqlCommand("SELECT email FROM customers WHERE id = 1", before).ExecuteScalarAsync());
            Assert.DoesNotContain("ada@example.com", ended.ToString(), StringComparison.Ordinal);
            if (ended is PostgresException refused)
            {
                Assert.Contains(refused.SqlState, new[] { "42501", "57P01" });
                Assert.Contains("mask", refused.MessageText, StringComparison.Ordinal);
            }

            await using var after = await OpenAsync(fixture.OtherNode);
            Assert.Equal("[masked]", await new NpgsqlCommand("SELECT email FROM customers WHERE id = 1", after).ExecuteScalarAsync());
            Assert.Equal("Ada Lovelace", await new NpgsqlCommand("SELECT name FROM customers WHERE id = 1", after).ExecuteScalarAsync());

            var other = fixture.OtherNode;
            await using var unmasked = new NpgsqlConnection(other.ConnectionString(await other.GetTokenAsync(GatewaySettings.OtherClientId), user: GatewaySettings.OtherClientId));
            await unmasked.OpenAsync();
            Assert.Equal("ada@example.com", await new NpgsqlCommand("SELECT email FROM customers WHERE id = 1", unmasked).ExecuteScalarAsync());
        }
        finally
        {
            await fixture.ApplyAsync(PolicyFixture.ReadOnlyPolicy);
        }
    }

    [Fact]
    public async Task Node_without_a_policy_refuses_statements_until_one_is_applied()
    {
        // Its own cluster and service id: a fresh policy grain that nothing has applied a policy to.
        var id = "nopolicy-" + Guid.NewGuid().ToString("N")[..8];
        await using var node = await GatewayNode.StartAsync(fixture.Node.Settings.OtherNode("no-policy", new Dictionary<string, string?>
        {
            ["OrleansGate:Cluster:ClusterId"] = id,
            ["OrleansGate:Cluster:ServiceId"] = id,
            ["OrleansGate:Policy:File"] = null,
        }));
        await using var session = await RawSession.OpenAsync(node);

        var refused = RawSession.Error(await session.QueryAsync("SELECT 1"));
        var applied = await node.Services.GetRequiredService<IGrainFactory>().GetGrain<IPolicyGrain>(IPolicyGrain.Key).Apply(PolicyFixture.ReadOnlyPolicy, "test");

        Assert.NotNull(refused);
        Assert.Equal("58000", refused['C']);
        Assert.Contains("no policy has been loaded", refused['M'], StringComparison.Ordinal);
        Assert.Equal(1L, applied.Version);
        Assert.Null(RawSession.Error(await session.QueryAsync("SELECT 1")));
    }

    private static async Task<NpgsqlConnection> OpenAsync(GatewayNode node)
    {
        var connection = new NpgsqlConnection(node.ConnectionString(await node.GetTokenAsync()) + ";Include Error Detail=true");
        await connection.OpenAsync();
        return connection;
    }

    private static async Task<int> BackendPidAsync(NpgsqlConnection connection) =>
        (int)(await new NpgsqlCommand("SELECT pg_backend_pid()", connection).ExecuteScalarAsync())!;
}
