using System.Buffers;
using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OrleansGate.Grains;
using OrleansGate.Host.Hosting;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.IntegrationTests.Infrastructure;
using OrleansGate.IntegrationTests.Policy;
using OrleansGate.Postgres.Protocol;

namespace OrleansGate.IntegrationTests.Gateway;

/// <summary>
/// SIGTERM to a node of role all in a process of its own, in a two-node cluster of its own: readiness fails, new logins
/// are refused with 57P03, each session ends with 57P01 at its transaction boundary or at the drain deadline, and the
/// node leaves membership, records every statement once and exits with 0.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class GracefulDrainTests(GatewayFixture fixture, Xunit.Abstractions.ITestOutputHelper output)
{
    /// <summary>The drain deadline of the node under test: short, but long enough for a transaction to finish inside it.</summary>
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(8);

    /// <summary>Orleans' SiloStatus.Dead, as the membership table stores it.</summary>
    private const int SiloStatusDead = 6;

    [Fact]
    public async Task Sigterm_drains_sessions_at_their_boundaries_ends_the_rest_at_the_deadline_and_exits_cleanly()
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        var table = $"drain_{id}";
        await fixture.Postgres.ExecuteAsync(GatewaySettings.TargetName, $"CREATE TABLE {table} (n int); GRANT ALL ON {table} TO gateway_demo");
        var cluster = GatewaySettings.OwnCluster("drain");
        await using var survivor = await GatewayNode.StartAsync(fixture.Settings.OtherNode($"drain-survivor-{id}", cluster));
        var nodeName = $"drain-{id}";
        using var node = await NodeProcess.StartAsync(
            fixture.Settings.OtherNode(nodeName, new Dictionary<string, string?>(cluster) { ["OrleansGate:Drain:Timeout"] = "00:00:08" }), GatewayRole.All);
        await Poll.UntilAsync(async () => (await ReadyzAsync(node)).Status == HttpStatusCode.OK, $"the node did not become ready:{Environment.NewLine}{node.OutputTail}", 60);
        var token = await fixture.Node.GetTokenAsync();

        await using var idle = await LoginAsync(node, token);
        AssertAnswered(await QueryAsync(idle, "SELECT 1"), PgTransactionStatus.Idle);
        await using var committer = await LoginAsync(node, token);
        AssertAnswered(await QueryAsync(committer, "BEGIN"), PgTransactionStatus.InTransaction);
        AssertAnswered(await QueryAsync(committer, $"INSERT INTO {table} VALUES (1)"), PgTransactionStatus.InTransaction);
        await using var stuck = await LoginAsync(node, token);
        AssertAnswered(await QueryAsync(stuck, "BEGIN"), PgTransactionStatus.InTransaction);
        AssertAnswered(await QueryAsync(stuck, $"INSERT INTO {table} VALUES (2)"), PgTransactionStatus.InTransaction);

        // An extended-protocol cycle handed over up to Flush, its Sync not sent yet: not a boundary, whatever the status says.
        await using var pipelined = await LoginAsync(node, token);
        await pipelined.SendAsync(w =>
        {
            FrontendWriter.Parse(w, "", $"INSERT INTO {table} VALUES (4)");
            WireMessages.Bind(w, "", "");
            WireMessages.Execute(w, "");
            WireMessages.Flush(w);
        });
        var answered = new List<char>();
        for (var i = 0; i < 3; i++)
        {
            answered.Add((await pipelined.ReadAsync()).Code);
        }

        Assert.Equal("12C", string.Concat(answered)); // ParseComplete, BindComplete, CommandComplete; no ReadyForQuery yet

        var signalled = Stopwatch.StartNew();
        await node.SignalAsync("TERM");

        // The idle session ends at once, at its boundary.
        var idleEnd = await FatalAsync(idle);
        var idleEndedAfter = signalled.Elapsed;
        Assert.Equal(("57P01", "terminating connection: node draining"), idleEnd);

        // The pipelined cycle is closed by its Sync (an implicit transaction that commits), then the session ends.
        await pipelined.SendAsync(WireMessages.Sync);
        AssertAnswered(await pipelined.ReadUntilReadyAsync(), PgTransactionStatus.Idle);
        Assert.Equal(("57P01", "terminating connection: node draining"), await FatalAsync(pipelined));

        // The session in a transaction still runs statements and commits; then it ends at that boundary.
        AssertAnswered(await QueryAsync(committer, $"INSERT INTO {table} VALUES (3)"), PgTransactionStatus.InTransaction);
        AssertAnswered(await QueryAsync(committer, "COMMIT"), PgTransactionStatus.Idle);
        var committedEndedAfter = signalled.Elapsed;
        Assert.Equal(("57P01", "terminating connection: node draining"), await FatalAsync(committer));
        Assert.True(committedEndedAfter < Deadline, $"the committing session finished {committedEndedAfter.TotalSeconds:0.0} s after SIGTERM, past the drain deadline: this run was too slow to check the drain");

        // The node is out of the load balancer's rotation, and a new login is told why (the stuck session keeps the drain open).
        await Poll.UntilAsync(async () => await ReadyzAsync(node) == (HttpStatusCode.ServiceUnavailable, "not ready: draining\n"), "/readyz did not answer 503 draining", 5);
        await using (var late = await RawPgClient.ConnectAsync(node.Settings.PostgresPort))
        {
            var refused = await late.LoginAsync(GatewaySettings.AgentClientId, GatewaySettings.TargetName, token);
            var fields = ErrorFields(refused[0]);
            Assert.Equal(("57P03", "the node is draining; connect to another node"), (fields['C'], fields['M']));
        }

        // The session that never ends its transaction is ended at the deadline.
        var (stuckState, stuckMessage) = await FatalAsync(stuck);
        var stuckEndedAfter = signalled.Elapsed;
        Assert.Equal("57P01", stuckState);
        Assert.Contains("drain deadline passed", stuckMessage, StringComparison.Ordinal);
        Assert.InRange(stuckEndedAfter, Deadline - TimeSpan.FromMilliseconds(500), TimeSpan.MaxValue);

        Assert.True(await node.WaitForExitAsync(Deadline + GatewayHost.ShutdownMargin), $"the node did not exit within the deadline and its margin:{Environment.NewLine}{node.OutputTail}");
        var exitedAfter = signalled.Elapsed;
        Assert.True(node.ExitCode == 0, $"exit code {node.ExitCode}:{Environment.NewLine}{node.OutputTail}");
        output.WriteLine($"after SIGTERM: idle session ended {idleEndedAfter.TotalMilliseconds:0} ms, the stuck one {stuckEndedAfter.TotalMilliseconds:0} ms (deadline {Deadline.TotalSeconds:0} s), process exited {exitedAfter.TotalMilliseconds:0} ms");
        Assert.Contains("Drain done: 3 session(s) ended at a transaction boundary, 1 at the deadline", node.OutputTail, StringComparison.Ordinal);

        // The sessions drained while the silo still ran: their logouts reached the agent grains.
        Assert.DoesNotContain("closing its grains failed", node.OutputTail, StringComparison.Ordinal);

        // The committed rows are there; the stuck transaction was rolled back upstream.
        await using (var target = new NpgsqlConnection(fixture.Postgres.ConnectionString(GatewaySettings.TargetName)))
        {
            await target.OpenAsync();
            await using var rows = new NpgsqlCommand($"SELECT array_agg(n ORDER BY n) FROM {table}", target);
            Assert.Equal(new[] { 1, 3, 4 }, (int[])(await rows.ExecuteScalarAsync())!);
        }

        // Every statement a client received a result for has exactly one record, and each session its logout.
        await using var state = new NpgsqlConnection(fixture.Settings.StateConnectionString);
        await state.OpenAsync();
        Assert.Equal(8, await ScalarAsync(state, $"SELECT count(*) FROM orleansgate_audit WHERE kind = 'Statement' AND edge_node = '{nodeName}'"));
        Assert.Equal(4, await ScalarAsync(state, $"SELECT count(*) FROM orleansgate_audit WHERE kind = 'Statement' AND edge_node = '{nodeName}' AND statement_normalized LIKE '%{table}%'"));
        Assert.Equal(3, await ScalarAsync(state, $"SELECT count(*) FROM orleansgate_audit WHERE kind = 'Logout' AND edge_node = '{nodeName}' AND reason = 'terminated: node draining'"));
        Assert.Equal(1, await ScalarAsync(state, $"SELECT count(*) FROM orleansgate_audit WHERE kind = 'Logout' AND edge_node = '{nodeName}' AND reason LIKE 'terminated: node draining: the drain deadline passed%'"));

        // It left membership itself (a killed silo stays Active until the others vote it dead), and its sessions left the agent grain.
        Assert.Equal(SiloStatusDead, await ScalarAsync(state,
            $"SELECT status FROM orleansgate_cluster_member WHERE cluster_id = '{cluster["OrleansGate:Cluster:ClusterId"]}' AND port = {node.Settings.SiloPort} ORDER BY generation DESC LIMIT 1"));

        // Declared dead by itself as it stopped (Orleans records its own vote), never suspected by the survivor.
        Assert.Equal(0, await ScalarAsync(state,
            $"SELECT count(*) FROM orleansgate_cluster_member WHERE cluster_id = '{cluster["OrleansGate:Cluster:ClusterId"]}' AND suspect_times LIKE '%:{survivor.Settings.SiloPort}@%'"));
        var agent = survivor.Services.GetRequiredService<IGrainFactory>().GetGrain<IAgentGrain>($"{fixture.Settings.Issuer}|{GatewaySettings.AgentClientId}");
        Assert.DoesNotContain((await agent.GetStatus()).Sessions, s => s.EdgeNode == nodeName);
    }

    private static async Task<RawPgClient> LoginAsync(NodeProcess node, string token)
    {
        var client = await RawPgClient.ConnectAsync(node.Settings.PostgresPort);
        var login = await client.LoginAsync(GatewaySettings.AgentClientId, GatewaySettings.TargetName, token);
        Assert.True(login[^1].Code == 'Z', $"login failed: {string.Join(", ", login.Select(m => m.Code))}");
        return client;
    }

    private static async Task<List<(char Code, byte[] Payload)>> QueryAsync(RawPgClient client, string sql)
    {
        await client.SendAsync(w => FrontendWriter.Query(w, sql));
        return await client.ReadUntilReadyAsync();
    }

    /// <summary>The statement succeeded and the session is now in <paramref name="status"/>.</summary>
    private static void AssertAnswered(List<(char Code, byte[] Payload)> answer, byte status)
    {
        Assert.DoesNotContain(answer, m => m.Code == 'E');
        Assert.Equal(('Z', status), (answer[^1].Code, answer[^1].Payload[0]));
    }

    /// <summary>Waits for the FATAL that ends the session (nothing sent meanwhile), then for the connection to close.</summary>
    private static async Task<(string SqlState, string Message)> FatalAsync(RawPgClient client)
    {
        var message = await client.ReadAsync();
        Assert.Equal('E', message.Code);
        var fields = ErrorFields(message);
        Assert.Equal("FATAL", fields['S']);
        Assert.Equal('\0', (await client.ReadAsync()).Code);
        return (fields['C'], fields['M']);
    }

    private static IReadOnlyDictionary<char, string> ErrorFields((char Code, byte[] Payload) message)
    {
        Assert.Equal('E', message.Code);
        return BackendMessages.ReadErrorOrNotice(new ReadOnlySequence<byte>(message.Payload));
    }

    private static async Task<long> ScalarAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task<(HttpStatusCode Status, string Body)> ReadyzAsync(NodeProcess node)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var response = await http.GetAsync($"http://127.0.0.1:{node.Settings.HttpPort}/readyz");
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
