using System.Diagnostics;
using Npgsql;
using Microsoft.Extensions.DependencyInjection;
using OrleansGate.Grains;
using OrleansGate.Host.Hosting;
using OrleansGate.IntegrationTests.Fixtures;

namespace OrleansGate.IntegrationTests.Protocol;

/// <summary>
/// CancelRequest behind a load balancer: it may reach an edge other than the one holding the session. Two edge-only
/// nodes of the collection's cluster, as in the revocation tests.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class CrossEdgeCancelTests(GatewayFixture fixture, Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task Cancel_sent_to_another_edge_cancels_with_57014_and_a_wrong_or_foreign_secret_cancels_nothing()
    {
        await using var edge1 = await GatewayNode.StartAsync(fixture.Settings.OtherNode("cancel-edge-1"), GatewayRole.Edge);
        await using var edge2 = await GatewayNode.StartAsync(fixture.Settings.OtherNode("cancel-edge-2"), GatewayRole.Edge);
        var token = await fixture.Node.GetTokenAsync();
        var port1 = edge1.Settings.PostgresPort;
        var port2 = edge2.Settings.PostgresPort;

        // Edge 2 has had a login, so it has registered its own slot too (and its slot is not edge 1's).
        await using var onEdge2 = await WireClient.LoginAsync(port2, token);
        await using var a = await WireClient.LoginAsync(port1, token);
        await using var b = await WireClient.LoginAsync(port1, token);
        Assert.NotEqual(0, CancelSlots.SlotOf(a.CancelKey.ProcessId)); // 0 would mean "not registered: this edge only"
        Assert.Equal(CancelSlots.SlotOf(a.CancelKey.ProcessId), CancelSlots.SlotOf(b.CancelKey.ProcessId));
        Assert.NotEqual(CancelSlots.SlotOf(a.CancelKey.ProcessId), CancelSlots.SlotOf(onEdge2.CancelKey.ProcessId));

        await a.SendAsync(Wire.Message('Q', Wire.CString("SELECT pg_sleep(30), 'cross-edge A'")));
        await b.SendAsync(Wire.Message('Q', Wire.CString("SELECT pg_sleep(30), 'cross-edge B'")));
        await WaitUntilRunningAsync("cross-edge A");
        await WaitUntilRunningAsync("cross-edge B");

        // Through edge 2: A's process id with a wrong secret, and with B's secret. Each cancel connection is closed by
        // the gateway only once the cancel has been handled, including the hand-over to edge 1.
        await WireClient.SendCancelAsync(port2, a.CancelKey.ProcessId, a.CancelKey.SecretKey ^ 0x1);
        await WireClient.SendCancelAsync(port2, a.CancelKey.ProcessId, b.CancelKey.SecretKey);
        await WireClient.SendCancelAsync(port2, 0x7FFF_0001, a.CancelKey.SecretKey); // A slot no edge holds.
        Assert.Equal(2, await RunningCountAsync("cross-edge"));

        var clock = Stopwatch.StartNew();
        await WireClient.SendCancelAsync(port2, a.CancelKey.ProcessId, a.CancelKey.SecretKey);
        var answer = await a.ReadUntilReadyAsync();
        output.WriteLine($"cross-edge cancel: 57014 after {clock.Elapsed.TotalMilliseconds:0.0} ms");
        var error = Assert.Single(answer, m => m.Code == 'E');
        Assert.Equal("57014", Wire.Fields(error.Payload)['C']);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"cancel took {clock.Elapsed}");

        // B was never cancelled: still running after A's cancel arrived; its own key (through edge 2 as well) stops it.
        Assert.Equal(1, await RunningCountAsync("cross-edge B"));
        await WireClient.SendCancelAsync(port2, b.CancelKey.ProcessId, b.CancelKey.SecretKey);
        Assert.Equal("57014", Wire.Fields(Assert.Single(await b.ReadUntilReadyAsync(), m => m.Code == 'E').Payload)['C']);

        // The sessions survive their cancelled statements.
        await a.SendAsync(Wire.Message('Q', Wire.CString("SELECT 1")));
        Assert.DoesNotContain(await a.ReadUntilReadyAsync(), m => m.Code == 'E');
    }

    [Fact]
    public async Task An_edge_keeps_its_slot_across_registrations_and_a_node_of_role_all_registers_too()
    {
        // The collection's node runs silo and edge in one process: its keys must be routable as well.
        await using (var client = await WireClient.LoginAsync(fixture.Node.Settings.PostgresPort, await fixture.Node.GetTokenAsync()))
        {
            Assert.NotEqual(0, CancelSlots.SlotOf(client.CancelKey.ProcessId));
        }

        var grains = fixture.Node.Services.GetRequiredService<IGrainFactory>();
        var directory = grains.GetGrain<ICancelDirectoryGrain>(ICancelDirectoryGrain.Key);
        var forwarder = grains.CreateObjectReference<ICancelForwarder>(new CancelForwarderStandIn());
        var name = "slot-test-" + Guid.NewGuid().ToString("N")[..8];
        var slot = await directory.Register(name, forwarder);
        Assert.InRange(slot, 1, CancelSlots.Max);
        Assert.Equal(slot, await directory.Register(name, forwarder)); // a restarted edge of the same name keeps it
        Assert.NotEqual(slot, await directory.Register(name + "-other", forwarder));
        Assert.NotNull(await directory.Find(slot));
        Assert.Null(await directory.Find(CancelSlots.Max)); // far above the slots this test cluster uses
    }

    /// <summary>Stands in for an edge's forwarder: only its reference is registered, it is never called.</summary>
    private sealed class CancelForwarderStandIn : ICancelForwarder
    {
        public Task Cancel(int processId, int secretKey) => throw new InvalidOperationException("not called by this test");
    }

    /// <summary>Statements with <paramref name="marker"/> active on the target, seen from a monitoring session there.</summary>
    private async Task<long> RunningCountAsync(string marker)
    {
        await using var connection = new NpgsqlConnection(fixture.Postgres.ConnectionString("demo"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() AND query LIKE 'SELECT pg_sleep%' AND strpos(query, $1) > 0",
            connection) { Parameters = { new() { Value = marker } } };
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private async Task WaitUntilRunningAsync(string marker)
    {
        var deadline = Stopwatch.StartNew();
        while (await RunningCountAsync(marker) == 0)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(20), $"'{marker}' never started on the target");
        }
    }
}
