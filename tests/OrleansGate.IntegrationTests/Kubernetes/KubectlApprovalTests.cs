using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Npgsql;
using OrleansGate.IntegrationTests.Approvals;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.IntegrationTests.Infrastructure;
using OrleansGate.KubernetesApiStandIn;
using OrleansGate.KubernetesApiStandIn.Clients;

namespace OrleansGate.IntegrationTests.Kubernetes;

/// <summary>
/// An approve rule on the Kubernetes path, with the real kubectl through the gateway to the API stand-in and approvers
/// deciding through the approvals API with tokens of the development IdP: agent-a's pod deletes wait for a human,
/// agent-b's are refused at once naming the approval and run when sent again after approval.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed partial class KubectlApprovalTests(GatewayFixture fixture) : IAsyncLifetime
{
    private const string Rules = """
          - name: discovery
            effect: allow
            reason: kubectl reads the API's discovery documents
            match: { kubernetes: { verbs: [get], non_resource_paths: ["/api", "/api/*", "/apis", "/apis/*", "/apis/*/*", "/version", "/openapi/*"] } }
          - name: read-workloads
            effect: allow
            reason: agents may read pods
            match: { kubernetes: { verbs: [get, list, watch], resources: [pods] } }
          - name: pod-deletes-wait
            effect: approve
            reason: deleting a pod needs a human
            match: { subjects: [agent-a], kubernetes: { verbs: [delete], resources: [pods] } }
            approval: { approvers: { groups: [dba] }, mode: wait, timeout: 90s }
          - name: pod-deletes-retry
            effect: approve
            reason: pod deletes are approved out of band
            match: { subjects: [agent-b], kubernetes: { verbs: [delete], resources: [pods] } }
            approval: { approvers: { groups: [dba] }, mode: retry, timeout: 5m }
        """;

    private KubectlGateway _gateway = null!;

    [GeneratedRegex("apr-[0-9a-f]{20}")]
    private static partial Regex ApprovalId();

    public async Task InitializeAsync() =>
        _gateway = await KubectlGateway.StartAsync(fixture, Rules, api =>
        {
            foreach (var name in new[] { "web-1", "web-2", "web-3", "web-4" })
            {
                api.Create(StandInResources.Pods, StandInObjects.Pod(name));
            }
        });

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task Wait_mode_delete_holds_kubectl_until_approved_then_runs_and_the_audit_names_the_approval()
    {
        var kubectl = await _gateway.KubectlAsync(GatewaySettings.AgentClientId);
        await using var deleting = kubectl.Start(["delete", "pod", "web-1"]);
        var exited = deleting.WaitForExitAsync(TimeSpan.FromSeconds(60));

        var approval = await PendingAsync("pods default/web-1");
        var id = approval.GetProperty("id").GetString()!;
        Assert.Equal("kubernetes delete pods default/web-1 (DELETE /api/v1/namespaces/default/pods/web-1)", approval.GetProperty("statement").GetString());
        Assert.Equal("pod-deletes-wait", approval.GetProperty("rule").GetString());
        Assert.False(exited.IsCompleted, "kubectl did not wait for the approval");
        Assert.DoesNotContain(_gateway.Api.Requests, r => r.Method == "DELETE");

        var (status, _) = await CallAsync(HttpMethod.Post, $"/api/approvals/{id}/approve", "bob", new { comment = "web-1 is stuck" });
        Assert.Equal(200, status);

        var result = await exited;
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("web-1", result.Stdout, StringComparison.Ordinal);
        Assert.Null(_gateway.Api.Get(StandInResources.Pods, "default", "web-1"));
        Assert.Equal(1, await AuditRowsAsync(id, "Allow", "bob"));
    }

    [Fact]
    public async Task Wait_mode_delete_denied_by_the_approver_fails_naming_the_rule_and_nothing_is_forwarded()
    {
        var kubectl = await _gateway.KubectlAsync(GatewaySettings.AgentClientId);
        await using var deleting = kubectl.Start(["delete", "pod", "web-2"]);
        var exited = deleting.WaitForExitAsync(TimeSpan.FromSeconds(60));
        var id = (await PendingAsync("pods default/web-2")).GetProperty("id").GetString()!;

        var (status, _) = await CallAsync(HttpMethod.Post, $"/api/approvals/{id}/deny", "carol", new { comment = "not during the freeze" });
        Assert.Equal(200, status);

        var result = await exited;
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("denied by rule pod-deletes-wait", result.Stderr, StringComparison.Ordinal);
        Assert.Contains($"approval {id} was denied by carol: not during the freeze", result.Stderr, StringComparison.Ordinal);
        Assert.NotNull(_gateway.Api.Get(StandInResources.Pods, "default", "web-2"));
        Assert.DoesNotContain(_gateway.Api.Requests, r => r.Method == "DELETE");
        Assert.Equal(1, await AuditRowsAsync(id, "Deny", "carol"));
    }

    [Fact]
    public async Task Kubectl_killed_while_waiting_withdraws_the_approval_and_nothing_is_forwarded()
    {
        var kubectl = await _gateway.KubectlAsync(GatewaySettings.AgentClientId);
        string id;
        await using (var deleting = kubectl.Start(["delete", "pod", "web-4"]))
        {
            id = (await PendingAsync("pods default/web-4")).GetProperty("id").GetString()!;
        } // killed: its connection closes

        await Poll.UntilAsync(async () =>
        {
            var (_, approval) = await CallAsync(HttpMethod.Get, $"/api/approvals/{id}", "bob");
            return approval.GetProperty("status").GetString() == "withdrawn";
        }, "the approval was not withdrawn when kubectl went", seconds: 30);

        var (status, _) = await CallAsync(HttpMethod.Post, $"/api/approvals/{id}/approve", "bob");
        Assert.Equal(409, status);
        Assert.NotNull(_gateway.Api.Get(StandInResources.Pods, "default", "web-4"));
        Assert.DoesNotContain(_gateway.Api.Requests, r => r.Method == "DELETE");
    }

    [Fact]
    public async Task Retry_mode_refuses_naming_the_approval_then_the_same_delete_runs_once_approved_and_another_is_not_covered()
    {
        var kubectl = await _gateway.KubectlAsync(GatewaySettings.OtherClientId);

        var first = await kubectl.RunAsync("delete", "pod", "web-3");
        Assert.NotEqual(0, first.ExitCode);
        Assert.Contains("denied by rule pod-deletes-retry", first.Stderr, StringComparison.Ordinal);
        Assert.Contains("send the same request again once it is approved", first.Stderr, StringComparison.Ordinal);
        var id = ApprovalId().Match(first.Stderr).Value;
        Assert.NotEmpty(id);
        Assert.DoesNotContain(_gateway.Api.Requests, r => r.Method == "DELETE");

        var (status, _) = await CallAsync(HttpMethod.Post, $"/api/approvals/{id}/approve", "alice");
        Assert.Equal(200, status);

        var again = await kubectl.RunAsync("delete", "pod", "web-3");
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Null(_gateway.Api.Get(StandInResources.Pods, "default", "web-3"));

        var other = await kubectl.RunAsync("delete", "pod", "web-4");
        Assert.NotEqual(0, other.ExitCode);
        Assert.Contains("denied by rule pod-deletes-retry", other.Stderr, StringComparison.Ordinal);
        Assert.Matches(ApprovalId(), other.Stderr);
        Assert.DoesNotContain(id, other.Stderr, StringComparison.Ordinal);
        Assert.NotNull(_gateway.Api.Get(StandInResources.Pods, "default", "web-4"));
        Assert.Single(_gateway.Api.Requests, r => r.Method == "DELETE");
    }

    /// <summary>The pending approval whose description names <paramref name="what"/>, as bob lists it.</summary>
    private Task<JsonElement> PendingAsync(string what) => new ApprovalsApiClient(fixture, _gateway.Node).PendingAsync(what);

    /// <summary>Calls the node's approvals API as <paramref name="approver"/> (a token of the development IdP).</summary>
    private Task<(int Status, JsonElement Body)> CallAsync(HttpMethod method, string path, string approver, object? body = null) =>
        new ApprovalsApiClient(fixture, _gateway.Node).CallAsync(method, path, approver, body);

    /// <summary>The agent session's records of the delete that name approval <paramref name="id"/> with <paramref name="decision"/> and <paramref name="approver"/>.</summary>
    private async Task<long> AuditRowsAsync(string id, string decision, string approver)
    {
        await using var state = new NpgsqlConnection(fixture.Settings.StateConnectionString);
        await state.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT count(*) FROM orleansgate_audit
            WHERE kind = 'Statement' AND approval_id = $1 AND decision = $2 AND approver = $3 AND protocol = 'kubernetes'
              AND statement_kinds = 'kubernetes:delete' AND session_id NOT LIKE 'approval:%'
            """, state);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = decision });
        command.Parameters.Add(new NpgsqlParameter { Value = approver });
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
