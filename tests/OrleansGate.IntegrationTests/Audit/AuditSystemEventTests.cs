using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using OrleansGate.Grains;
using OrleansGate.Grains.Agents;
using OrleansGate.Audit;
using OrleansGate.Grains.Audit;
using OrleansGate.Host.Hosting;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.IntegrationTests.Policy;
using OrleansGate.Model;

namespace OrleansGate.IntegrationTests.Audit;

/// <summary>
/// Events that are not statements — policy changes, revocations, refused logins — each in a chain of its own,
/// verified by <c>audit verify</c> like session chains; and what happens to them while the audit store is down.
/// </summary>
[Collection(AuditClusterCollection.Name)]
public sealed class AuditSystemEventTests(AuditClusterFixture fixture)
{
    private IGrainFactory Grains => fixture.Node.Services.GetRequiredService<IGrainFactory>();

    private string AgentKey(string clientId) => $"{fixture.Settings.Issuer}|{clientId}";

    private async Task<List<AuditRow>> ChainAsync(string chainId)
    {
        await using var source = NpgsqlDataSource.Create(fixture.AuditConnectionString);
        await using var command = source.CreateCommand($"SELECT {AuditRowReader.Columns} FROM orleansgate_audit WHERE session_id = $1 ORDER BY session_seq");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = chainId });
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<AuditRow>();
        while (await reader.ReadAsync())
        {
            rows.Add(AuditRowReader.Read(reader));
        }

        return rows;
    }

    /// <summary>After a restart the writer's first attempts may meet broken pooled connections; a client retries, boundedly.</summary>
    private async Task WaitForAuditStoreAsync()
    {
        var sink = fixture.Node.Services.GetRequiredService<IAuditSink>();
        for (var attempt = 0; attempt < 50; attempt++)
        {
            try
            {
                var id = Guid.NewGuid().ToString("N");
                await AuditChain.Start(sink, id).AppendAsync(AuditLog.Statement(AuditLog.Session(id), "SELECT $1 AS probe"));
                return;
            }
            catch (AuditUnavailableException)
            {
            }
        }

        Assert.Fail("the audit store did not answer again after it was restarted");
    }

    private async Task AssertVerifiesAsync()
    {
        var report = await fixture.VerifyAsync();
        Assert.True(report.Ok, string.Join("\n", report.Problems) + "\n" + string.Join("\n", report.Notes) + "\n" + await fixture.DescribeSignaturesAsync());
        Assert.True(report.SystemChains >= 1);
    }

    private static string UniquePolicy() => GatewaySettings.AllowAllPolicy + $"\n# audit test {Guid.NewGuid():N}\n";

    [Fact]
    public async Task Policy_change_is_audited_in_the_policy_chain_with_version_source_and_hash_but_not_the_text()
    {
        var text = UniquePolicy();
        var source = $"audit-test-{Guid.NewGuid():N}.yaml";

        var result = await Grains.GetGrain<IPolicyGrain>(IPolicyGrain.Key).Apply(text, source);

        Assert.Equal(PolicyApplyOutcome.Applied, result.Outcome);
        var record = (await ChainAsync(AuditChainIds.Policy))[^1];
        Assert.Equal(nameof(AuditEventKind.PolicyChange), record.Kind);
        Assert.Equal(result.Version, record.PolicyVersion);
        Assert.Equal("applied", record.Outcome);
        Assert.Equal(AuditRecords.SystemIssuer, record.Issuer);
        Assert.Contains(source, record.Reason, StringComparison.Ordinal);
        Assert.Contains(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text))), record.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("integration tests of the relay allow everything", JsonSerializer.Serialize(record, AuditJson.Default.AuditRow), StringComparison.Ordinal);
        await AssertVerifiesAsync();
    }

    [Fact]
    public async Task Policy_change_is_not_applied_while_its_record_cannot_be_written()
    {
        var policy = Grains.GetGrain<IPolicyGrain>(IPolicyGrain.Key);
        var before = (await policy.GetCurrent())!;
        var text = UniquePolicy();
        PolicyApplyResult refused;
        await fixture.AuditStore.StopAsync();
        try
        {
            refused = await policy.Apply(text, "down.yaml");
        }
        finally
        {
            await fixture.AuditStore.StartAgainAsync();
        }

        Assert.Equal(PolicyApplyOutcome.Unavailable, refused.Outcome);
        Assert.Contains("not applied, the policy change could not be audited", refused.Error, StringComparison.Ordinal);
        Assert.Equal(before.Version, (await policy.GetCurrent())!.Version);

        // Once the store is back, the same text applies, and its record is the chain's next link.
        await WaitForAuditStoreAsync();
        var applied = await policy.Apply(text, "down.yaml");
        Assert.Equal(PolicyApplyOutcome.Applied, applied.Outcome);
        Assert.Equal(before.Version + 1, applied.Version);
        Assert.Equal(applied.Version, (await ChainAsync(AuditChainIds.Policy))[^1].PolicyVersion);
        await AssertVerifiesAsync();
    }

    [Fact]
    public async Task Policy_file_at_start_with_the_audit_store_down_starts_the_node_and_is_applied_once_the_store_is_back()
    {
        var text = UniquePolicy();
        var file = GatewaySettings.WritePolicyFile(text);
        var policy = Grains.GetGrain<IPolicyGrain>(IPolicyGrain.Key);
        var before = (await policy.GetCurrent())!.Version;
        var sha = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
        GatewayNode? second = null;
        await fixture.AuditStore.StopAsync();
        try
        {
            // A silo whose policy file cannot be audited at start: it starts anyway (no crash), applying nothing yet.
            var overrides = fixture.AuditOverrides();
            overrides["OrleansGate:Policy:File"] = file;

            // Retried every second at most (30 s by default), so the apply after the store returns falls well
            // inside the observer's 30 s wait below however long the outage lasted.
            overrides["OrleansGate:Policy:StartRetryMax"] = "00:00:01";
            second = await GatewayNode.StartAsync(fixture.Settings.OtherNode("audit-policy-start", overrides), GatewayRole.Silo);
            Assert.Equal(before, (await policy.GetCurrent())!.Version);
        }
        finally
        {
            await fixture.AuditStore.StartAgainAsync();
        }

        try
        {
            // The node's own retry (every second here) applies the file once the store answers. Polled as an
            // operator would with `policy show`, bounded; on failure the new silo's warnings say why.
            var logs = CapturedLog.Of(second!);
            var waiting = Stopwatch.StartNew();
            PolicySnapshot current;
            while ((current = (await policy.GetCurrent())!).Sha256 != sha)
            {
                Assert.True(
                    waiting.Elapsed < TimeSpan.FromSeconds(30),
                    "the policy file was not applied within 30 s of the audit store's return; the new silo logged:\n"
                        + string.Join("\n", logs.Since(0).Where(e => e.Level >= LogLevel.Warning).Select(e => $"{e.Category}: {e.Message}")));
            }

            Assert.Equal(file, current.Source);
            Assert.Equal(current.Version, (await ChainAsync(AuditChainIds.Policy))[^1].PolicyVersion);
            await AssertVerifiesAsync();
        }
        finally
        {
            await second!.DisposeAsync();
        }
    }

    [Fact]
    public async Task Watched_policy_edit_made_while_the_audit_store_is_down_is_applied_once_it_is_back()
    {
        var file = GatewaySettings.WritePolicyFile(UniquePolicy());
        var policy = Grains.GetGrain<IPolicyGrain>(IPolicyGrain.Key);
        var overrides = fixture.AuditOverrides();
        overrides["OrleansGate:Policy:File"] = file;
        overrides["OrleansGate:Policy:Watch"] = "true";
        overrides["OrleansGate:Policy:StartRetryMax"] = "00:00:01";
        await using var watching = await GatewayNode.StartAsync(fixture.Settings.OtherNode("audit-policy-watch", overrides), GatewayRole.Silo);
        var logs = CapturedLog.Of(watching);
        var before = (await policy.GetCurrent())!.Version;
        var edited = UniquePolicy();
        var sha = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(edited)));

        await fixture.AuditStore.StopAsync();
        try
        {
            // The edit cannot be audited: it is not in force, and the watcher says so.
            var mark = logs.Mark;
            await File.WriteAllTextAsync(file, edited);
            var waiting = Stopwatch.StartNew();
            while (!logs.Since(mark).Any(e => e.Message.Contains("could not be applied", StringComparison.Ordinal)))
            {
                Assert.True(waiting.Elapsed < TimeSpan.FromSeconds(30), "the watcher never tried the edit");
            }

            Assert.Equal(before, (await policy.GetCurrent())!.Version);
        }
        finally
        {
            await fixture.AuditStore.StartAgainAsync();
        }

        // No second edit and no restart: the watcher's own retry applies it (polled as `policy show` would be).
        var applying = Stopwatch.StartNew();
        while ((await policy.GetCurrent())!.Sha256 != sha)
        {
            Assert.True(applying.Elapsed < TimeSpan.FromSeconds(30), "the edit was not applied within 30 s of the audit store's return");
        }

        await AssertVerifiesAsync();
    }

    [Fact]
    public async Task Revocation_is_audited_in_the_agents_chain_and_the_refused_login_in_the_edges_chain()
    {
        var agentKey = AgentKey(GatewaySettings.RevocableClientId);
        var agent = Grains.GetGrain<IAgentGrain>(agentKey);
        var token = await fixture.Node.GetTokenAsync(GatewaySettings.RevocableClientId);
        await using (var session = await RawPgClient.ConnectAsync(fixture.Settings.PostgresPort))
        {
            Assert.Equal('Z', (await session.LoginAsync(GatewaySettings.RevocableClientId, GatewaySettings.TargetName, token))[^1].Code);
            try
            {
                Assert.Equal(1, await agent.Revoke("audit test revocation"));
                await using var refused = await RawPgClient.ConnectAsync(fixture.Settings.PostgresPort);
                Assert.Contains(await refused.LoginAsync(GatewaySettings.RevocableClientId, GatewaySettings.TargetName, token), m => m.Code == 'E');
            }
            finally
            {
                await agent.Unrevoke();
            }
        }

        var chain = await ChainAsync(AuditChainIds.Agent(agentKey));
        var (revoke, unrevoke) = (chain[^2], chain[^1]);
        Assert.All(chain, r => Assert.Equal(nameof(AuditEventKind.Revocation), r.Kind));
        Assert.Equal(("revoke", "audit test revocation", 1L), (revoke.Outcome, revoke.Reason, revoke.Rows));
        Assert.Equal((fixture.Settings.Issuer, GatewaySettings.RevocableClientId), (revoke.Issuer, revoke.Subject));
        Assert.Equal("unrevoke", unrevoke.Outcome);

        // The refusal (28000) was queued before the client got it; Flushed waits until it is durable.
        await Grains.GetGrain<ILoginAuditGrain>(fixture.Settings.NodeName).Flushed();
        var login = (await ChainAsync(AuditChainIds.LoginRefusals(fixture.Settings.NodeName))).Last(r => r.Subject == GatewaySettings.RevocableClientId);
        Assert.Equal((nameof(AuditEventKind.LoginRefused), "28000", fixture.Settings.Issuer), (login.Kind, login.Outcome, login.Issuer));
        Assert.Contains("agent revoked: audit test revocation", login.Reason, StringComparison.Ordinal);
        await AssertVerifiesAsync();
    }

    [Fact]
    public async Task Revocation_takes_effect_while_the_audit_store_is_down_and_is_recorded_once_it_is_back()
    {
        var agentKey = AgentKey(GatewaySettings.RevocableClientId);
        var agent = Grains.GetGrain<IAgentGrain>(agentKey);
        var captured = CapturedLog.Of(fixture.Node);
        var mark = captured.Mark;
        var reason = $"revoked while the store is down {Guid.NewGuid():N}";
        await using var session = await RawPgClient.ConnectAsync(fixture.Settings.PostgresPort);
        Assert.Equal('Z', (await session.LoginAsync(
            GatewaySettings.RevocableClientId, GatewaySettings.TargetName, await fixture.Node.GetTokenAsync(GatewaySettings.RevocableClientId)))[^1].Code);
        await fixture.AuditStore.StopAsync();
        try
        {
            // Security over audit: the revocation is in force and the session closed, record or not.
            Assert.Equal(1, await agent.Revoke(reason));
            var fatal = await session.ReadAsync();
            Assert.Equal('E', fatal.Code);
            Assert.True((await agent.GetStatus()).Revoked);
        }
        finally
        {
            await fixture.AuditStore.StartAgainAsync();
        }

        Assert.Contains(captured.Since(mark), e => e.Level == LogLevel.Error && e.Category == typeof(AgentGrain).FullName
            && e.Message.Contains("NOT YET AUDITED", StringComparison.Ordinal));
        await WaitForAuditStoreAsync();

        // The next change of this agent writes what is owed first, in order (a timer would do it on its own too).
        await agent.Unrevoke();
        var chain = await ChainAsync(AuditChainIds.Agent(agentKey));
        var revoke = Assert.Single(chain, r => r.Reason == reason);
        Assert.Equal(("revoke", 1L), (revoke.Outcome, revoke.Rows));
        Assert.Equal("unrevoke", chain[^1].Outcome);
        Assert.True(chain.IndexOf(revoke) < chain.Count - 1);
        await AssertVerifiesAsync();
    }

    [Fact]
    public async Task Login_refusal_flood_is_bounded_dropped_refusals_are_counted_and_the_count_is_recorded()
    {
        // A chain of its own (an edge name no node has), so the node's real login chain is not involved.
        var edge = $"flood-{Guid.NewGuid():N}";
        var grain = Grains.GetGrain<ILoginAuditGrain>(edge);
        var flood = LoginAuditGrain.QueueCapacity + 100;
        bool[] accepted;
        await fixture.AuditStore.StopAsync();
        try
        {
            // The store is down, so the grain's writer is stuck on the first refusal and the queue fills up.
            accepted = await Task.WhenAll(Enumerable.Range(0, flood).Select(i =>
                grain.Record(new LoginRefusal(DateTimeOffset.UtcNow, "28P01", "token expired", $"flooder-{i}", "127.0.0.1:1", edge))));
        }
        finally
        {
            await fixture.AuditStore.StartAgainAsync();
        }

        var kept = accepted.Count(a => a);
        Assert.InRange(kept, LoginAuditGrain.QueueCapacity, LoginAuditGrain.QueueCapacity + 1);

        // Once the store is back the queue drains by itself (retry with backoff), then the count is recorded.
        await grain.Flushed().WaitAsync(TimeSpan.FromSeconds(60));
        var chain = await ChainAsync(AuditChainIds.LoginRefusals(edge));
        Assert.Equal(kept, chain.Count(r => r.Outcome == "28P01"));
        var dropped = Assert.Single(chain, r => r.Outcome == "dropped");
        Assert.Equal(flood - kept, dropped.Rows);
        Assert.Equal(chain[^1], dropped);
        await AssertVerifiesAsync();
    }

    [Fact]
    public async Task Login_refusal_is_audited_in_the_edge_nodes_chain_without_the_token()
    {
        var token = await fixture.Node.GetTokenAsync();
        var forged = token[..^6] + (token[^6] == 'A' ? "BBBBBB" : "AAAAAA");
        var claimed = $"claimed-{Guid.NewGuid():N}";
        await using (var client = await RawPgClient.ConnectAsync(fixture.Settings.PostgresPort))
        {
            // Read up to the close, which the edge does only after the grain queued the refusal.
            var answer = await client.LoginAsync(claimed, GatewaySettings.TargetName, forged);
            Assert.Equal(['E', '\0'], answer.Select(m => m.Code));
        }

        await Grains.GetGrain<ILoginAuditGrain>(fixture.Settings.NodeName).Flushed();
        var chain = await ChainAsync(AuditChainIds.LoginRefusals(fixture.Settings.NodeName));
        var record = Assert.Single(chain, r => r.Subject == claimed);
        Assert.Equal((nameof(AuditEventKind.LoginRefused), "28P01", AuditRecords.UnauthenticatedIssuer), (record.Kind, record.Outcome, record.Issuer));
        Assert.False(string.IsNullOrWhiteSpace(record.Reason));
        Assert.StartsWith("127.0.0.1:", record.ClientAddress, StringComparison.Ordinal);
        var json = JsonSerializer.Serialize(record, AuditJson.Default.AuditRow);
        Assert.DoesNotContain(forged.Split('.')[1], json, StringComparison.Ordinal);
        Assert.DoesNotContain(forged.Split('.')[2], json, StringComparison.Ordinal);
        await AssertVerifiesAsync();
    }

    [Fact]
    public async Task Login_to_an_unknown_target_is_audited_with_the_authenticated_agent()
    {
        var target = $"no_such_target_{Guid.NewGuid():N}";
        await using (var client = await RawPgClient.ConnectAsync(fixture.Settings.PostgresPort))
        {
            var answer = await client.LoginAsync(GatewaySettings.AgentClientId, target, await fixture.Node.GetTokenAsync());
            Assert.Contains(answer, m => m.Code == 'E');
        }

        await Grains.GetGrain<ILoginAuditGrain>(fixture.Settings.NodeName).Flushed();
        var chain = await ChainAsync(AuditChainIds.LoginRefusals(fixture.Settings.NodeName));
        var record = Assert.Single(chain, r => r.Target == target);
        Assert.Equal((nameof(AuditEventKind.LoginRefused), "3D000", GatewaySettings.AgentClientId), (record.Kind, record.Outcome, record.Subject));
        Assert.NotEqual(AuditRecords.UnauthenticatedIssuer, record.Issuer);
        Assert.Equal($"target \"{target}\" is not configured on this gateway", record.Reason);
        await AssertVerifiesAsync();
    }
}
