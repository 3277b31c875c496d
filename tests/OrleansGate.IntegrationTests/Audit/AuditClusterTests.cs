using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OrleansGate.Edge.Classification;
using OrleansGate.Edge.Decisions;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.IntegrationTests.Infrastructure;

namespace OrleansGate.IntegrationTests.Audit;

/// <summary>Audit under load through real gateway nodes: two silos at once, and the audit store going away.</summary>
[Collection(AuditClusterCollection.Name)]
public sealed class AuditClusterTests(AuditClusterFixture fixture)
{
    private static AuditClient Client(GatewayNode node, string token, string name) => new(name, async () =>
    {
        var connection = new NpgsqlConnection(node.ConnectionString(token));
        await connection.OpenAsync();
        return connection;
    });

    [Fact]
    public async Task Many_sessions_on_two_silos_write_chains_that_verify_with_no_forks_or_gaps()
    {
        await using var second = await GatewayNode.StartAsync(fixture.Settings.OtherNode("audit-second", fixture.AuditOverrides()));

        // The second node applies the fixture's policy file as it starts: a new version when an earlier test of the
        // collection applied another one. A statement parsed under the old version and bound under the new is decided
        // and recorded again, by design (a second record of it); so the run starts once both edges decide with it.
        await BothEdgesDecideWithOneVersionAsync(fixture.Node, second);
        var token = await fixture.Node.GetTokenAsync();
        var clients = new List<AuditClient>();
        try
        {
            for (var i = 0; i < 12; i++)
            {
                clients.Add(Client(fixture.Node, token, $"conc_a{i}"));
                clients.Add(Client(second, token, $"conc_b{i}"));
            }

            await Task.WhenAll(clients.Select(async c =>
            {
                for (var n = 0; n < 20; n++)
                {
                    Assert.True(await c.RunNextAsync());
                }
            }));
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }

        var report = await fixture.VerifyAsync();
        Assert.True(report.Ok, string.Join("\n", report.Problems));
        var counts = await fixture.StatementCountsAsync();
        foreach (var client in clients)
        {
            Assert.All(client.Received, alias => Assert.Equal(1, counts.GetValueOrDefault(AuditClient.Normalized(alias))));
        }

        // Both silos wrote: one writer process each (each with its writers /0, /1 …), signing its own rows.
        await using var audit = new NpgsqlConnection(fixture.AuditConnectionString);
        await audit.OpenAsync();
        await using var writers = new NpgsqlCommand(
            "SELECT count(DISTINCT split_part(writer, '/', 1)) FROM orleansgate_audit WHERE statement_normalized LIKE 'SELECT $1 AS conc\\_%'", audit);
        Assert.Equal(2L, (long)(await writers.ExecuteScalarAsync())!);
    }

    private static Task BothEdgesDecideWithOneVersionAsync(GatewayNode first, GatewayNode second)
    {
        static (long Deciding, long Known) Versions(GatewayNode node) =>
            (node.Services.GetRequiredService<EdgePolicy>().Version, node.Services.GetRequiredService<PolicyVersionWatcher>().Version);

        return Poll.UntilAsync(
            () =>
            {
                var (a, b) = (Versions(first), Versions(second));
                return Task.FromResult(a.Deciding > 0 && a.Deciding == b.Deciding && a.Known <= a.Deciding && b.Known <= b.Deciding);
            },
            "the edges never decided with one policy version",
            seconds: 30);
    }

    [Fact]
    public async Task Audit_store_outage_refuses_statements_with_58000_then_service_resumes_with_nothing_lost_or_duplicated()
    {
        var token = await fixture.Node.GetTokenAsync();
        var loaders = new List<AuditClient>();
        var probes = new List<AuditClient>();
        for (var i = 0; i < 2; i++)
        {
            loaders.Add(Client(fixture.Node, token, $"outage_load{i}"));
            probes.Add(Client(fixture.Node, token, $"outage_probe{i}"));
        }

        using var stop = new CancellationTokenSource();
        var loops = new List<Task>();
        try
        {
            foreach (var client in loaders.Concat(probes))
            {
                Assert.True(await client.RunNextAsync());
            }

            // Mid-load: the loaders keep running while the audit store stops under them and comes back.
            loops.AddRange(loaders.Select(c => Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    await c.RunNextAsync();
                }
            })));
            await fixture.AuditStore.StopAsync();

            // Every statement now is refused with the documented error.
            foreach (var probe in probes)
            {
                Assert.False(await probe.RunNextAsync());
                Assert.False(await probe.RunNextAsync());
            }

            await fixture.AuditStore.StartAgainAsync();

            // Service resumes by itself: a client retries, as a real one would, until its statement is audited and runs.
            foreach (var probe in probes)
            {
                var resumed = false;
                for (var attempt = 0; attempt < 50 && !resumed; attempt++)
                {
                    resumed = await probe.RunNextAsync();
                }

                Assert.True(resumed, $"{probe.Name} never got a result after the audit store came back");
                Assert.True(await probe.RunNextAsync());
            }
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(loops).WaitAsync(TimeSpan.FromSeconds(60));
            await fixture.AuditStore.StartAgainAsync();
            foreach (var client in loaders.Concat(probes))
            {
                await client.DisposeAsync();
            }
        }

        var decisions = await fixture.StatementDecisionsAsync();
        var refusal = probes[0].Refused[0];
        Assert.Equal("58000", refusal.SqlState);
        Assert.StartsWith("statement refused by the gateway: audit store unavailable:", refusal.Message, StringComparison.Ordinal);
        foreach (var client in loaders.Concat(probes))
        {
            // Statements on an open session: 58000; logins while the store is down: 57P03 (Npgsql closes its
            // connection after a class 58 error, so the next statement logs in again).
            Assert.All(client.Refused, r => Assert.Equal(r.Statement == "(login)" ? "57P03" : "58000", r.SqlState));

            // Nothing lost: every statement whose result arrived has a record. Nothing duplicated: no statement has two
            // records of one decision (a second decision under a newer policy version, at its Execute, is a record of its
            // own); a refused one has at most one (its record may have committed as the store went away).
            Assert.All(client.Received, alias => Assert.InRange(decisions.GetValueOrDefault(AuditClient.Normalized(alias)).Distinct, 1, 2));
            Assert.All(client.Received.Concat(client.Refused.Select(r => r.Statement)), alias =>
            {
                var (records, distinct) = decisions.GetValueOrDefault(AuditClient.Normalized(alias));
                Assert.True(records == distinct, $"{alias}: {records} records of {distinct} decisions");
            });
        }

        var report = await fixture.VerifyAsync();
        Assert.True(report.Ok, string.Join("\n", report.Problems));
    }
}
