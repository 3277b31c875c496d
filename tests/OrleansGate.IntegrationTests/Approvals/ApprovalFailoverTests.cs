using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OrleansGate.Grains;
using OrleansGate.Host.Hosting;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.IntegrationTests.Infrastructure;

namespace OrleansGate.IntegrationTests.Approvals;

/// <summary>
/// Approvals outlive the nodes: two silo processes and two edges (one a process), in a cluster of their own. The silo
/// holding a pending approval is killed with SIGKILL, and the approval is decided through the other one while the
/// agent waits; an edge is killed with SIGKILL while its agent waits, and the agent, back through the other edge,
/// finds its approval.
/// </summary>
[Collection(ApprovalCollection.Name)]
public sealed partial class ApprovalFailoverTests(ApprovalFixture fixture)
{
    [GeneratedRegex("apr-[0-9a-f]{20}")]
    private static partial Regex ApprovalId();

    [Fact]
    public async Task Killing_the_silo_of_a_pending_approval_or_the_edge_of_its_agent_loses_nothing()
    {
        var cluster = GatewaySettings.OwnCluster("approval-kill");
        var settings = fixture.Node.Settings;
        using var siloA = await NodeProcess.StartAsync(settings.OtherNode("silo-a", cluster), GatewayRole.Silo);
        using var siloB = await NodeProcess.StartAsync(settings.OtherNode("silo-b", cluster), GatewayRole.Silo);
        using var edgeProcess = await NodeProcess.StartAsync(settings.OtherNode("edge-p", cluster), GatewayRole.Edge);
        await using var edge = await GatewayNode.StartAsync(settings.OtherNode("edge-i", cluster), GatewayRole.Edge);
        var grains = edge.Services.GetRequiredService<IGrainFactory>();
        var bob = await fixture.Node.GetTokenAsync("bob");
        var agentToken = await fixture.Node.GetTokenAsync(GatewaySettings.AgentClientId);

        // 1. The silo holding a pending approval dies; the approval is decided through the other silo, the agent gets its result.
        await using (var agent = new NpgsqlConnection(edge.ConnectionString(agentToken)))
        {
            var notice = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            agent.Notice += (_, e) => notice.TrySetResult(ApprovalId().Match(e.Notice.MessageText).Value);
            await agent.OpenAsync();
            await using var command = new NpgsqlCommand("UPDATE items SET note = 'after-silo-kill' WHERE id = 20", agent);
            var running = command.ExecuteNonQueryAsync();
            var id = await notice.Task.WaitAsync(TimeSpan.FromSeconds(30));

            var address = await grains.GetGrain<IManagementGrain>(0).GetActivationAddress(grains.GetGrain<IApprovalGrain>(id));
            Assert.NotNull(address);
            var (holder, survivor) = address.Endpoint.Port == siloA.Settings.SiloPort ? (siloA, siloB) : (siloB, siloA);
            Assert.Equal(holder.Settings.SiloPort, address.Endpoint.Port);
            await holder.KillAsync();

            // Until membership declares the dead silo gone, calls to its grains fail: the approver's client retries.
            await Poll.UntilAsync(async () =>
                (await fixture.CallAsync(survivor.Settings.HttpPort, HttpMethod.Post, $"/api/approvals/{id}/approve", bob, new { comment = "after the crash" })).Status == 200,
                "the approval could not be decided through the surviving silo", seconds: 90);

            Assert.Equal(1, await running.WaitAsync(TimeSpan.FromSeconds(90)));
            Assert.Equal("after-silo-kill", await fixture.NoteAsync(20));
        }

        // 2. The edge of a waiting agent dies; the agent reconnects through the other edge and finds the same approval.
        const string Sql = "UPDATE items SET note = 'after-edge-kill' WHERE id = 21";
        string first;
        var lost = new NpgsqlConnection(edgeProcess.Settings.ConnectionString(agentToken));
        try
        {
            var notice = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            lost.Notice += (_, e) => notice.TrySetResult(ApprovalId().Match(e.Notice.MessageText).Value);
            await lost.OpenAsync();
            var abandoned = new NpgsqlCommand(Sql, lost).ExecuteNonQueryAsync();
            first = await notice.Task.WaitAsync(TimeSpan.FromSeconds(30));
            await edgeProcess.KillAsync();
            await Assert.ThrowsAnyAsync<Exception>(() => abandoned);
        }
        finally
        {
            await lost.DisposeAsync();
        }

        await using (var again = new NpgsqlConnection(edge.ConnectionString(agentToken)))
        {
            var notice = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            again.Notice += (_, e) => notice.TrySetResult(ApprovalId().Match(e.Notice.MessageText).Value);
            await again.OpenAsync();
            await using var command = new NpgsqlCommand(Sql, again);
            var running = command.ExecuteNonQueryAsync();
            Assert.Equal(first, await notice.Task.WaitAsync(TimeSpan.FromSeconds(60)));

            var survivorPort = siloA.HasExited ? siloB.Settings.HttpPort : siloA.Settings.HttpPort;
            Assert.Equal(200, (await fixture.CallAsync(survivorPort, HttpMethod.Post, $"/api/approvals/{first}/approve", bob)).Status);
            Assert.Equal(1, await running.WaitAsync(TimeSpan.FromSeconds(60)));
            Assert.Equal("after-edge-kill", await fixture.NoteAsync(21));
        }
    }
}
