using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using OrleansGate.Grains;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.IntegrationTests.Infrastructure;
using OrleansGate.KubernetesApiStandIn;
using OrleansGate.KubernetesApiStandIn.Clients;

namespace OrleansGate.IntegrationTests.Kubernetes;

/// <summary>
/// The real kubectl through the gateway's agent HTTP listener to a Kubernetes API stand-in (no API server can run
/// here): reads allowed and audited, Secret values masked, a delete denied by rule with the rule's message, and bad
/// requests refused with nothing forwarded.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class KubectlThroughGatewayTests(GatewayFixture fixture, Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private const string SecretValue = "hunter2-not-for-agents";

    private KubectlGateway _gateway = null!;
    private Kubectl _kubectl = null!;
    private Kubectl _otherKubectl = null!;
    private string _token = "";

    private KubernetesApiStandIn.KubernetesApiStandIn _api => _gateway.Api;

    private GatewayNode _node => _gateway.Node;

    private int _agentPort => _gateway.AgentPort;

    private string _gatewayCa => _gateway.GatewayCa;

    public async Task InitializeAsync()
    {
        _gateway = await KubectlGateway.StartAsync(fixture, """
              - name: discovery
                effect: allow
                reason: kubectl reads the API's discovery documents
                match: { kubernetes: { verbs: [get], non_resource_paths: ["/api", "/api/*", "/apis", "/apis/*", "/apis/*/*", "/version", "/openapi/*"] } }
              - name: read-workloads
                effect: allow
                reason: agents may read pods and secrets
                match: { kubernetes: { verbs: [get, list, watch], resources: [pods, secrets] } }
              - name: agent-b-may-exec-and-apply
                effect: allow
                reason: agent-b runs commands in pods and applies config maps
                match: { subjects: [agent-b], kubernetes: { verbs: [get, create, patch], resources: [pods/exec, configmaps] } }
              - name: logs
                effect: allow
                reason: agents may follow pod logs
                match: { kubernetes: { verbs: [get], resources: [pods/log] } }
              - name: no-pod-deletes
                effect: deny
                reason: agents never delete pods
                match: { kubernetes: { verbs: [delete], resources: [pods] } }
            """, api =>
        {
            api.Create(StandInResources.Pods, StandInObjects.Pod("web-1"));
            api.Create(StandInResources.Secrets, StandInObjects.Secret("db", new Dictionary<string, string> { ["password"] = SecretValue }));
        });
        (_kubectl, _token) = await _gateway.KubectlWithTokenAsync(GatewaySettings.AgentClientId);
        _otherKubectl = await _gateway.KubectlAsync(GatewaySettings.OtherClientId);
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task A_body_over_the_cap_is_refused_with_413_and_not_forwarded()
    {
        var before = _api.Requests.Count;
        using var http = Client();
        var big = new string('x', 3 * 1024 * 1024 + 1);
        using var sized = new HttpRequestMessage(HttpMethod.Post, $"https://127.0.0.1:{_agentPort}/k8s/cluster/api/v1/namespaces/default/configmaps")
        {
            Content = new StringContent(big, System.Text.Encoding.ASCII, "application/json"),
        };
        sized.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await fixture.Node.GetTokenAsync(GatewaySettings.OtherClientId));
        using var chunked = new HttpRequestMessage(HttpMethod.Post, $"https://127.0.0.1:{_agentPort}/k8s/cluster/api/v1/namespaces/default/configmaps")
        {
            Content = new PushStreamContent(big),
        };
        chunked.Headers.Authorization = sized.Headers.Authorization;

        using var first = await http.SendAsync(sized);
        using var second = await http.SendAsync(chunked);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, first.StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, second.StatusCode);
        Assert.Equal(before, _api.Requests.Count);
    }

    [Fact]
    public async Task Duplicate_Content_Length_is_refused_with_400_and_not_forwarded()
    {
        var before = _api.Requests.Count;

        var status = await RawPostAsync("Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}");

        Assert.StartsWith("HTTP/1.1 400", status, StringComparison.Ordinal);
        Assert.Equal(before, _api.Requests.Count);
    }

    [Fact]
    public async Task Transfer_Encoding_with_Content_Length_is_refused_with_400_and_not_forwarded()
    {
        // Two framings of one body: what request smuggling needs. Kestrel keeps Transfer-Encoding and moves the
        // Content-Length value to X-Content-Length (RFC 9112 6.3); the gateway refuses the request either way.
        var before = _api.Requests.Count;

        var (status, body) = await RawPostWithBodyAsync("Transfer-Encoding: chunked\r\nContent-Length: 40\r\n\r\n2\r\n{}\r\n0\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 400", status, StringComparison.Ordinal);
        Assert.Contains("Transfer-Encoding together with Content-Length is refused", body, StringComparison.Ordinal);
        Assert.Equal(before, _api.Requests.Count);
    }

    [Fact]
    public async Task An_agents_own_X_Content_Length_with_a_chunked_body_is_refused_too()
    {
        var before = _api.Requests.Count;

        var (status, _) = await RawPostWithBodyAsync("Transfer-Encoding: chunked\r\nX-Content-Length: 40\r\n\r\n2\r\n{}\r\n0\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 400", status, StringComparison.Ordinal);
        Assert.Equal(before, _api.Requests.Count);
    }

    private async Task<(string? Status, string Body)> RawPostWithBodyAsync(string framing)
    {
        var token = await fixture.Node.GetTokenAsync(GatewaySettings.OtherClientId);
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, _agentPort);
        await using var tls = new System.Net.Security.SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync("127.0.0.1");
        var head = $"POST /k8s/cluster/api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nConnection: close\r\n";
        await tls.WriteAsync(System.Text.Encoding.ASCII.GetBytes(head + framing));
        await tls.FlushAsync();

        using var reader = new StreamReader(tls, System.Text.Encoding.ASCII);
        var answer = await reader.ReadToEndAsync();
        var lineEnd = answer.IndexOf('\r');
        return (lineEnd < 0 ? answer : answer[..lineEnd], answer);
    }

    private async Task<string?> RawPostAsync(string framing) => (await RawPostWithBodyAsync(framing)).Status;

    /// <summary>A body sent chunked (no Content-Length), as a streaming client sends it.</summary>
    private sealed class PushStreamContent(string text) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) =>
            stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(text)).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    /// <summary>Audit records (in the state database, the tests' audit store) whose text holds every one of <paramref name="parts"/>.</summary>
    private Task<long> AuditRowsAsync(params string[] parts) => AuditRows.CountAsync(fixture.Settings.StateConnectionString, parts);

    /// <summary>An HTTP client that trusts the test's CA for the agent listener.</summary>
    private HttpClient Client()
    {
        var roots = new System.Security.Cryptography.X509Certificates.X509Certificate2Collection();
        roots.ImportFromPem(_gatewayCa);
        return new HttpClient(new SocketsHttpHandler
        {
            SslOptions =
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    using var chain = new System.Security.Cryptography.X509Certificates.X509Chain();
                    chain.ChainPolicy.TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.AddRange(roots);
                    chain.ChainPolicy.RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck;
                    return certificate is not null && chain.Build(System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
                },
            },
        });
    }

    [Fact]
    public async Task Kubectl_get_pods_goes_through_and_is_allowed()
    {
        var result = await _kubectl.RunAsync("get", "pods");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("web-1", result.Stdout, StringComparison.Ordinal);
        Assert.Contains(_api.Requests, r => r.Method == "GET" && r.Path == "/api/v1/namespaces/default/pods");
    }

    [Fact]
    public async Task Kubectl_get_secrets_as_yaml_shows_the_keys_but_never_the_values()
    {
        var result = await _kubectl.RunAsync("get", "secrets", "-o", "yaml");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("password:", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(SecretValue)), result.Stdout, StringComparison.Ordinal);
        Assert.Contains("KioqTUFTS0VEKioq", result.Stdout, StringComparison.Ordinal); // base64 of ***MASKED***
    }

    [Fact]
    public async Task Kubectl_delete_pod_is_denied_with_the_rules_message_and_never_forwarded()
    {
        var result = await _kubectl.RunAsync("delete", "pod", "web-1");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("denied by rule no-pod-deletes", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(_api.Requests, r => r.Method == "DELETE");
        Assert.NotNull(_api.Get(StandInResources.Pods, "default", "web-1"));
    }

    [Fact]
    public async Task Exec_is_denied_without_a_rule_and_runs_through_the_gateway_where_a_rule_allows_it()
    {
        var denied = await _kubectl.RunAsync("exec", "web-1", "--", "echo", "hello");
        Assert.NotEqual(0, denied.ExitCode);
        Assert.Contains("default-deny", denied.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(_api.Requests, r => r.Path.EndsWith("/exec", StringComparison.Ordinal));

        var allowed = await _otherKubectl.RunAsync("exec", "web-1", "--", "echo", "hello");

        Assert.True(allowed.ExitCode == 0, allowed.ToString());
        Assert.Equal("hello", allowed.Stdout.Trim());
        Assert.True(await AuditRowsAsync("/api/v1/namespaces/default/pods/web-1/exec", "command: echo hello", "agent-b-may-exec-and-apply") >= 1);
    }

    [Fact]
    public async Task Apply_where_a_rule_allows_it_creates_the_object_upstream()
    {
        var manifest = Path.Combine(Directory.CreateTempSubdirectory("orleansgate-manifest-").FullName, "cm.yaml");
        await File.WriteAllTextAsync(manifest, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: default\ndata:\n  mode: fast\n");

        var denied = await _kubectl.RunAsync("apply", "-f", manifest);
        var applied = await _otherKubectl.RunAsync("apply", "-f", manifest);

        Assert.NotEqual(0, denied.ExitCode);
        Assert.True(applied.ExitCode == 0, applied.ToString());
        Assert.Equal("fast", (string?)_api.Get(StandInResources.ConfigMaps, "default", "settings")!["data"]!["mode"]);
    }

    [Fact]
    public async Task Logs_follow_streams_lines_as_they_come()
    {
        _api.SetLog("default", "web-1", "first line\n");
        await using var logs = _kubectl.Start(["logs", "-f", "web-1"]);
        await logs.WaitForLineAsync(line => line == "first line", Kubectl.LineTimeout);

        _api.AppendLog("default", "web-1", "second line");

        Assert.Equal("second line", await logs.WaitForLineAsync(line => line == "second line", Kubectl.LineTimeout));
    }

    [Fact]
    public async Task Each_request_is_recorded_with_its_verb_resource_and_rule_and_never_the_token()
    {
        var listed = await _kubectl.RunAsync("get", "pods");
        var denied = await _kubectl.RunAsync("delete", "pod", "web-1");
        Assert.True(listed.ExitCode == 0, listed.ToString());
        Assert.NotEqual(0, denied.ExitCode);

        // Each request's record is durable before its answer goes out (or its refusal does).
        Assert.True(await AuditRowsAsync("GET /api/v1/namespaces/default/pods", "kubernetes:list", "read-workloads") >= 1);
        Assert.True(await AuditRowsAsync("DELETE /api/v1/namespaces/default/pods/web-1", "kubernetes:delete", "no-pod-deletes") >= 1);
        Assert.Equal(0, await AuditRowsAsync(_token));
        Assert.Equal(0, await AuditRowsAsync(_api.BearerToken));
    }

    [Fact]
    public async Task Revoking_the_agent_ends_its_running_watch()
    {
        await using var watch = _kubectl.Start(["get", "pods", "-w"]);
        await watch.WaitForLineAsync(line => line.Contains("web-1", StringComparison.Ordinal), Kubectl.LineTimeout);
        var agent = _node.Services.GetRequiredService<IGrainFactory>().GetGrain<IAgentGrain>($"{fixture.Settings.Issuer}|{GatewaySettings.AgentClientId}");

        var clock = Stopwatch.StartNew();
        Assert.Equal(1, await agent.Revoke("kubernetes watch revocation test"));
        var ended = await watch.WaitForExitAsync(Kubectl.ExitTimeout);
        output.WriteLine($"revocation: kubectl's watch ended {clock.Elapsed.TotalMilliseconds:0.0} ms after Revoke was called ({ended.ExitCode})");

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"the watch ended after {clock.Elapsed.TotalMilliseconds:0} ms: {ended}");
        var refused = await _kubectl.RunAsync("get", "pods");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("agent revoked", refused.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "a bearer token is required")]
    [InlineData("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "the token was refused")]
    public async Task A_request_without_a_valid_token_is_refused_with_401_and_not_forwarded(string? token, string message)
    {
        var before = _api.Requests.Count;
        using var http = Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"https://127.0.0.1:{_agentPort}/k8s/cluster/api/v1/namespaces/default/secrets");
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var status = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("Status", (string?)status["kind"]);
        Assert.Contains(message, (string?)status["message"], StringComparison.Ordinal);
        Assert.Equal(before, _api.Requests.Count);
    }

    [Theory]
    [InlineData("/k8s/cluster/api/v1/namespaces/default/pods/a%2Fb", HttpStatusCode.BadRequest)]
    [InlineData("/k8s/cluster/api/v1/namespaces/default//pods", HttpStatusCode.BadRequest)]
    [InlineData("/k8s/cluster/api/v1/namespaces/default/pods/web-1/exec?command=sh", HttpStatusCode.Forbidden)]
    [InlineData("/k8s/nowhere/api/v1/pods", HttpStatusCode.NotFound)]
    public async Task A_bad_or_unallowed_path_is_refused_and_not_forwarded(string path, HttpStatusCode expected)
    {
        var before = _api.Requests.Count;
        using var http = Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"https://127.0.0.1:{_agentPort}{path}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await fixture.Node.GetTokenAsync());

        using var response = await http.SendAsync(request);

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal(before, _api.Requests.Count);
    }

    [Fact]
    public async Task Impersonation_headers_and_a_Connection_header_naming_Authorization_are_refused()
    {
        var token = await fixture.Node.GetTokenAsync();
        using var http = Client();
        using var impersonate = new HttpRequestMessage(HttpMethod.Get, $"https://127.0.0.1:{_agentPort}/k8s/cluster/api/v1/namespaces/default/pods");
        impersonate.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        impersonate.Headers.Add("Impersonate-User", "system:admin");
        using var connection = new HttpRequestMessage(HttpMethod.Get, $"https://127.0.0.1:{_agentPort}/k8s/cluster/api/v1/namespaces/default/pods");
        connection.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        connection.Headers.Connection.Add("Authorization");
        var before = _api.Requests.Count;

        using var first = await http.SendAsync(impersonate);
        using var second = await http.SendAsync(connection);

        Assert.Equal(HttpStatusCode.Forbidden, first.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, second.StatusCode);
        Assert.Equal(before, _api.Requests.Count);
    }
}
