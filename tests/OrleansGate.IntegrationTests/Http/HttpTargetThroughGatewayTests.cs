using Microsoft.Extensions.Logging;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OrleansGate.Grains;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.IntegrationTests.Kubernetes;

namespace OrleansGate.IntegrationTests.Http;

/// <summary>
/// Plain HTTP targets end to end: an agent (HttpClient) calls <c>/http/TARGET/...</c> on the gateway's agent listener,
/// the policy's <c>http:</c> rules decide, and the request reaches a real HTTP server of the test's own
/// (<see cref="RecordingHttpUpstream"/>) with the gateway's credential, or never reaches it.
/// </summary>
/// <remarks>
/// Two targets: <c>api</c> (HTTPS with its own CA, the gateway's bearer token from a file, the URL's path empty) and
/// <c>based</c> (plain http with <c>insecure_http</c>, no credential, the URL's path <c>/base</c>). The Kubernetes
/// target <c>cluster</c> of <see cref="KubectlGateway"/> is there too, to show kinds are not interchangeable.
/// </remarks>
[Collection(GatewayCollection.Name)]
public sealed partial class HttpTargetThroughGatewayTests(GatewayFixture fixture) : IAsyncLifetime
{
    private const string UpstreamToken = "gateway-own-upstream-token-7f3a";

    private const string Rules = """
          - name: invoices-read
            effect: allow
            reason: agents read invoices
            match: { targets: [api, based], http: { methods: [GET], paths: ["/v1/invoices/*"] } }
          - name: invoices-create
            effect: allow
            reason: agent-b creates invoices
            match: { subjects: [agent-b], targets: [api], http: { methods: [POST], paths: ["/v1/invoices"] } }
          - name: rest-api
            effect: allow
            reason: agents read the API's /api tree
            match: { targets: [api], http: { methods: [GET], paths: ["/api/*"] } }
          - name: drafts
            effect: allow
            reason: agents do anything to drafts
            match: { targets: [api], http: { methods: ["*"], paths: ["/v1/drafts/*"] } }
          - name: no-deletes
            effect: deny
            reason: agents never delete
            match: { targets: [api], http: { methods: [DELETE] } }
          - name: payments-need-approval
            effect: approve
            reason: a payment needs a person
            match: { targets: [api], http: { methods: [POST], paths: ["/v1/payments"] } }
            approval: { approvers: { groups: [dba] }, mode: retry, timeout: 5m }
        """;

    private KubectlGateway _gateway = null!;
    private RecordingHttpUpstream _api = null!;
    private RecordingHttpUpstream _based = null!;

    [GeneratedRegex("apr-[0-9a-f]{20}")]
    private static partial Regex ApprovalId();

    public async Task InitializeAsync()
    {
        _api = await RecordingHttpUpstream.StartAsync(https: true);
        _based = await RecordingHttpUpstream.StartAsync(https: false);
        var files = Directory.CreateTempSubdirectory("orleansgate-http-").FullName;
        await File.WriteAllTextAsync(Path.Combine(files, "api-ca.pem"), _api.CaCertificatePem);
        await File.WriteAllTextAsync(Path.Combine(files, "api-token"), UpstreamToken + "\n");
        _gateway = await KubectlGateway.StartAsync(fixture, Rules, _ => { }, targets: $"""
              api:
                kind: http
                url: {_api.Url}
                ca_file: {Path.Combine(files, "api-ca.pem")}
                token_file: {Path.Combine(files, "api-token")}
              based:
                kind: http
                url: {_based.Url}base
                insecure_http: true
            """);
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _api.DisposeAsync();
        await _based.DisposeAsync();
    }

    [Fact]
    public async Task Allowed_GET_reaches_the_upstream_with_the_gateways_token_and_its_answer_is_relayed()
    {
        var token = await fixture.Node.GetTokenAsync();
        var logs = CapturedLog.Of(_gateway.Node);
        var mark = logs.Mark;
        var since = DateTimeOffset.UtcNow.AddSeconds(-1);

        using var response = await SendAsync(HttpMethod.Get, "/http/api/v1/invoices/42", token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // A read is forwarded while its record is written, and answered only once the record is durable: no waiting here.
        Assert.True(await AuditRowsHoldingAsync(since, "GET /v1/invoices/42") >= 1, "the read's record was not durable when its answer arrived");
        // No log line per request (YARP's "Proxying to URL" at Information cost more than the forward itself under load).
        Assert.DoesNotContain(logs.Since(mark), e => e.Category.StartsWith("Yarp", StringComparison.Ordinal) && e.Level < LogLevel.Warning);
        Assert.Equal("yes", response.Headers.GetValues(RecordingHttpUpstream.AnswerHeader).Single());
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(("GET", "/v1/invoices/42"), ((string?)answer["method"], (string?)answer["path"]));
        var forwarded = Assert.Single(_api.Requests);
        Assert.Equal(("GET", "/v1/invoices/42"), (forwarded.Method, forwarded.Target));
        Assert.Equal($"Bearer {UpstreamToken}", forwarded.Header("Authorization"));
        Assert.DoesNotContain(forwarded.Headers.Values, v => v.Contains(token, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_target_url_with_a_base_path_and_no_credential_gets_the_path_under_it_and_no_Authorization_at_all()
    {
        var token = await fixture.Node.GetTokenAsync();

        using var response = await SendAsync(HttpMethod.Get, "/http/based/v1/invoices/42", token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var forwarded = Assert.Single(_based.Requests);
        Assert.Equal("/base/v1/invoices/42", forwarded.Target);
        Assert.Null(forwarded.Header("Authorization"));
        Assert.DoesNotContain(forwarded.Headers.Values, v => v.Contains(token, StringComparison.Ordinal));
        Assert.Empty(_api.Requests);
    }

    [Theory]
    [InlineData("/v1/invoices/42")]
    [InlineData("/v1/invoices/42/lines")] // documented: "*" runs across "/" in http paths (policy.md, http: match keys)
    public async Task A_path_glob_allows_what_it_matches(string path)
    {
        using var response = await SendAsync(HttpMethod.Get, "/http/api" + path, await fixture.Node.GetTokenAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(path, Assert.Single(_api.Requests).Target);
    }

    [Theory]
    [InlineData("GET", "/v1/payments/1", "default-deny")]
    [InlineData("GET", "/v1/invoices", "default-deny")] // "/v1/invoices/*" needs a segment after the slash
    [InlineData("POST", "/v1/invoices/42", "default-deny")] // the read rule allows GET only
    [InlineData("POST", "/v1/invoices", "default-deny")] // the create rule is agent-b's
    [InlineData("DELETE", "/v1/drafts/7", "no-deletes")] // allowed by drafts (every method), the deny wins
    public async Task A_request_no_rule_allows_is_refused_with_403_naming_the_rule_and_never_forwarded(string method, string path, string rule)
    {
        using var response = await SendAsync(new HttpMethod(method), "/http/api" + path, await fixture.Node.GetTokenAsync(), method == "GET" ? null : "{}");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains($"denied by rule {rule}", await MessageAsync(response), StringComparison.Ordinal);
        Assert.Empty(_api.Requests);
    }

    [Fact]
    public async Task A_refused_request_with_a_body_keeps_the_decisions_reason_and_the_bodys_kind_and_size_in_its_record()
    {
        var since = DateTimeOffset.UtcNow.AddSeconds(-1);

        using var response = await SendAsync(HttpMethod.Post, "/http/api/v1/invoices/42", await fixture.Node.GetTokenAsync(), "{}");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var record = Assert.Single(await RequestRecordsAsync(since), r => r.Statement == "POST /v1/invoices/42");
        Assert.Equal(("Deny", "default-deny"), (record.Decision, record.Rule));
        Assert.StartsWith("no policy rule allows this", record.Reason, StringComparison.Ordinal);
        Assert.Contains("; body application/json", record.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_drafts_rule_allows_a_PUT_so_the_DELETE_refusal_is_the_deny_rules_doing()
    {
        using var response = await SendAsync(HttpMethod.Put, "/http/api/v1/drafts/7", await fixture.Node.GetTokenAsync(), "{\"n\":1}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(("PUT", "/v1/drafts/7", "{\"n\":1}"), Assert.Single(_api.Requests) is var r ? (r.Method, r.Target, r.Body) : default);
    }

    [Theory]
    [InlineData("/http/api/v1/invoices/../payments/1")]
    [InlineData("/http/api/v1/invoices/%2e%2e/payments/1")]
    [InlineData("/http/api/v1/invoices/%2E%2E/payments/1")]
    [InlineData("/http/api/v1/invoices/./42")]
    [InlineData("/http/api/v1/invoices/42%2F..%2F..%2Fpayments%2F1")]
    [InlineData("/http/api/v1/invoices/42%252F..")]
    [InlineData("/http/api/v1//invoices/42")]
    [InlineData("/http/api/v1/invoices/42\\..\\..\\payments")]
    [InlineData("/http/api/v1/invoices/42%5C..")]
    [InlineData("/http/api/v1/invoices/%0a42")]
    public async Task A_path_that_could_name_another_resource_is_refused_with_400_and_never_forwarded(string target)
    {
        var (status, body) = await RawGetAsync(target, await fixture.Node.GetTokenAsync());

        Assert.True(status == 400, $"{target}: {status} {body}");
        Assert.Contains("denied by rule gateway:unparsable", body, StringComparison.Ordinal);
        Assert.Empty(_api.Requests);
    }

    /// <remarks>
    /// Fails today (product bug): ";" is accepted raw in a segment, so "..;" is not a dot segment to the parser, the
    /// read rule's "/v1/invoices/*" allows it, and it is forwarded as sent. Tomcat, Jetty and Spring drop a segment's
    /// ";parameters" before resolving dot segments, so such an upstream serves /v1/payments/1, which no rule allows.
    /// </remarks>
    [Theory]
    [InlineData("/http/api/v1/invoices/..;/payments/1")]
    [InlineData("/http/api/v1/invoices/..%3B/payments/1")]
    [InlineData("/http/api/v1/invoices/.;x/42")]
    public async Task A_dot_segment_with_a_path_parameter_is_refused_with_400_and_never_forwarded(string target)
    {
        var (status, body) = await RawGetAsync(target, await fixture.Node.GetTokenAsync());

        Assert.True(status == 400, $"{target}: {status}, forwarded as {string.Join(", ", _api.Requests.Select(r => r.Target))}: {body}");
        Assert.Empty(_api.Requests);
    }

    /// <remarks>
    /// Fails today (product bug): the gateway forwards the path it decoded for the policy, so an escaped ";" (data)
    /// arrives as a raw ";" (a path-parameter delimiter to Tomcat, Jetty and Spring): the upstream reads another path.
    /// </remarks>
    [Fact]
    public async Task An_escaped_reserved_character_reaches_the_upstream_still_escaped()
    {
        var (status, body) = await RawGetAsync("/http/api/v1/invoices/42%3Bv=2", await fixture.Node.GetTokenAsync());

        Assert.True(status == 200, $"{status}: {body}");
        Assert.Equal("/v1/invoices/42%3Bv=2", Assert.Single(_api.Requests).Target);
    }

    /// <remarks>
    /// Fails today (product bug): an http target's path is read by the Kubernetes request parser, Kubernetes shapes
    /// and all, so a plain REST API with an /api/v1 prefix or a "watch" parameter of its own is refused with 400
    /// (segments after a "subresource", a case variant of "api", a watch value Kubernetes would not read).
    /// </remarks>
    [Theory]
    [InlineData("/api/v1/customers/1/orders/7")]
    [InlineData("/API/v1/customers")]
    [InlineData("/api/v1/invoices/42?watch=weekly")]
    public async Task A_plain_http_path_shaped_like_the_Kubernetes_API_is_forwarded_not_read_as_Kubernetes(string path)
    {
        using var response = await SendAsync(HttpMethod.Get, "/http/api" + path, await fixture.Node.GetTokenAsync());

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {await MessageAsync(response)}");
        Assert.Equal(path, Assert.Single(_api.Requests).Target);
    }

    [Fact]
    public async Task A_dot_segment_refusal_is_recorded_as_unparsable_with_the_gateways_rule()
    {
        var since = DateTimeOffset.UtcNow;

        var (status, body) = await RawGetAsync("/http/api/v1/invoices/../payments/1", await fixture.Node.GetTokenAsync());

        Assert.Equal(400, status);
        Assert.Contains("denied by rule gateway:unparsable", body, StringComparison.Ordinal);
        Assert.Contains("dot segments are refused", body, StringComparison.Ordinal);
        var record = Assert.Single(await RequestRecordsAsync(since));
        Assert.Equal(("http:unparsable", "Deny", "gateway:unparsable"), (record.Kinds, record.Decision, record.Rule));
    }

    [Fact]
    public async Task The_query_reaches_the_upstream_as_the_agent_sent_it()
    {
        const string query = "status=open&q=a%2Fb+c%20d&tag=x&tag=y&empty=&flag&sort=-date&page%5Bsize%5D=10";

        using var response = await SendAsync(HttpMethod.Get, "/http/api/v1/invoices/42?" + query, await fixture.Node.GetTokenAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var forwarded = Assert.Single(_api.Requests);
        Assert.Equal(("/v1/invoices/42", query), (forwarded.Path, forwarded.Query));
    }

    [Fact]
    public async Task An_allowed_POST_delivers_its_body_intact_and_the_audit_keeps_method_path_and_size_but_not_the_body_query_or_token()
    {
        var since = DateTimeOffset.UtcNow;
        const string memo = "memo-text-the-audit-must-not-hold";
        const string queryValue = "idempotency-value-the-audit-must-not-hold";
        var json = $"{{\"customer\":\"c-1\",\"amount\":1250,\"memo\":\"{memo}\",\"lines\":[{{\"sku\":\"é-ü\",\"qty\":2}}]}}";
        var token = await fixture.Node.GetTokenAsync(GatewaySettings.OtherClientId);

        using var response = await SendAsync(HttpMethod.Post, $"/http/api/v1/invoices?key={queryValue}", token, json);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var forwarded = Assert.Single(_api.Requests);
        Assert.Equal(("POST", "/v1/invoices", $"key={queryValue}", json), (forwarded.Method, forwarded.Path, forwarded.Query, forwarded.Body));
        Assert.StartsWith("application/json", forwarded.Header("Content-Type"), StringComparison.Ordinal);
        Assert.Equal($"Bearer {UpstreamToken}", forwarded.Header("Authorization"));

        var record = Assert.Single(await RequestRecordsAsync(since));
        var bytes = Encoding.UTF8.GetByteCount(json);
        Assert.Equal(
            ("http:post", "POST /v1/invoices", "Allow", "invoices-create", $"agent-b creates invoices; body application/json; charset=utf-8, {bytes} bytes"),
            (record.Kinds, record.Statement, record.Decision, record.Rule, record.Reason));
        Assert.Equal(0, await AuditRowsHoldingAsync(since, memo));
        Assert.Equal(0, await AuditRowsHoldingAsync(since, queryValue));
        Assert.Equal(0, await AuditRowsHoldingAsync(since, token));
        Assert.Equal(0, await AuditRowsHoldingAsync(since, UpstreamToken));
    }

    [Theory]
    [InlineData(null, "a bearer token is required")]
    [InlineData("eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZ2VudC1hIn0.", "the token was refused")]
    public async Task A_request_without_a_valid_token_is_refused_with_401_and_never_forwarded(string? token, string message)
    {
        using var response = await SendAsync(HttpMethod.Get, "/http/api/v1/invoices/42", token);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains(message, await MessageAsync(response), StringComparison.Ordinal);
        Assert.Empty(_api.Requests);
    }

    [Fact]
    public async Task A_forged_token_signed_by_another_key_is_refused_with_401()
    {
        // A well-formed RS256 token with the right issuer and audience, signed by a key the gateway never saw.
        using var key = System.Security.Cryptography.RSA.Create(2048);
        static string B64(byte[] b) => Convert.ToBase64String(b).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var head = B64(Encoding.UTF8.GetBytes("{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"forged\"}"));
        var claims = B64(Encoding.UTF8.GetBytes(
            $"{{\"iss\":\"{fixture.Settings.Issuer}\",\"aud\":\"{fixture.Settings.Audience}\",\"sub\":\"{GatewaySettings.AgentClientId}\",\"iat\":{now},\"exp\":{now + 600}}}"));
        var signature = B64(key.SignData(Encoding.ASCII.GetBytes(head + "." + claims), System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1));

        using var response = await SendAsync(HttpMethod.Get, "/http/api/v1/invoices/42", $"{head}.{claims}.{signature}");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Empty(_api.Requests);
    }

    [Theory]
    [InlineData("/http/nowhere/v1/invoices/42", "no http target named 'nowhere'")]
    [InlineData("/http/cluster/api/v1/namespaces/default/pods", "no http target named 'cluster'")]
    [InlineData("/k8s/api/v1/invoices/42", "no kubernetes target named 'api'")]
    public async Task A_target_of_another_kind_or_none_is_404_and_nothing_is_forwarded(string path, string message)
    {
        using var response = await SendAsync(HttpMethod.Get, path, await fixture.Node.GetTokenAsync());

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains(message, await MessageAsync(response), StringComparison.Ordinal);
        Assert.Empty(_api.Requests);
        Assert.Empty(_gateway.Api.Requests);
    }

    [Fact]
    public async Task Retry_mode_refuses_a_POST_naming_the_approval_then_forwards_the_same_POST_once_approved()
    {
        var token = await fixture.Node.GetTokenAsync();
        const string payment = "{\"invoice\":42,\"amount\":1250}";

        using var first = await SendAsync(HttpMethod.Post, "/http/api/v1/payments", token, payment);
        var message = await MessageAsync(first);
        Assert.Equal(HttpStatusCode.Forbidden, first.StatusCode);
        Assert.Contains("denied by rule payments-need-approval", message, StringComparison.Ordinal);
        Assert.Contains("send the same request again once it is approved", message, StringComparison.Ordinal);
        var id = ApprovalId().Match(message).Value;
        Assert.NotEmpty(id);
        Assert.Empty(_api.Requests);

        using (var approvals = new HttpClient())
        {
            using var approve = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{_gateway.Node.Settings.HttpPort}/api/approvals/{id}/approve")
            {
                Content = JsonContent.Create(new { comment = "invoice 42 is due" }),
            };
            approve.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await fixture.Node.GetTokenAsync("alice"));
            using var approved = await approvals.SendAsync(approve);
            Assert.Equal(HttpStatusCode.OK, approved.StatusCode);
        }

        using var again = await SendAsync(HttpMethod.Post, "/http/api/v1/payments", token, payment);

        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        Assert.Equal(("POST", "/v1/payments", payment), Assert.Single(_api.Requests) is var r ? (r.Method, r.Target, r.Body) : default);
    }

    [Fact]
    public async Task After_the_agent_is_revoked_its_requests_are_refused_and_never_forwarded()
    {
        var token = await fixture.Node.GetTokenAsync();
        using (var before = await SendAsync(HttpMethod.Get, "/http/api/v1/invoices/1", token))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        var agent = _gateway.Node.Services.GetRequiredService<IGrainFactory>().GetGrain<IAgentGrain>($"{fixture.Settings.Issuer}|{GatewaySettings.AgentClientId}");
        Assert.Equal(1, await agent.Revoke("http revocation test"));

        using var sameToken = await SendAsync(HttpMethod.Get, "/http/api/v1/invoices/2", token);
        using var newToken = await SendAsync(HttpMethod.Get, "/http/api/v1/invoices/3", await fixture.Node.GetTokenAsync());

        Assert.Equal(HttpStatusCode.Forbidden, sameToken.StatusCode);
        Assert.Contains("agent revoked", await MessageAsync(sameToken), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, newToken.StatusCode);
        Assert.Equal("/v1/invoices/1", Assert.Single(_api.Requests).Target);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? token, string? json = null)
    {
        using var http = _gateway.AgentHttpClient();
        using var request = new HttpRequestMessage(method, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        return await http.SendAsync(request);
    }

    private static async Task<string> MessageAsync(HttpResponseMessage response) =>
        (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["message"] ?? "";

    /// <summary>
    /// A GET with <paramref name="target"/> exactly as written: HttpClient's Uri would resolve dot segments and turn
    /// backslashes into slashes before the gateway saw them. Returns the status and the body (chunk framing left in).
    /// </summary>
    private async Task<(int Status, string Body)> RawGetAsync(string target, string token)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, _gateway.AgentPort);
        await using var tls = new SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync("127.0.0.1");
        await tls.WriteAsync(Encoding.ASCII.GetBytes($"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"));
        using var reader = new StreamReader(tls, Encoding.UTF8);
        var answer = await reader.ReadToEndAsync();
        var status = int.Parse(answer.Split(' ', 3)[1], System.Globalization.CultureInfo.InvariantCulture);
        return (status, answer[(answer.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]);
    }

    private sealed record RequestRecord(string Kinds, string Statement, string Decision, string Rule, string Reason);

    /// <summary>The request records (not completions) of this test's node on target <c>api</c> since <paramref name="since"/>.</summary>
    private async Task<List<RequestRecord>> RequestRecordsAsync(DateTimeOffset since)
    {
        await using var state = new NpgsqlConnection(fixture.Settings.StateConnectionString);
        await state.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT statement_kinds, statement_normalized, decision, rule, reason FROM orleansgate_audit
            WHERE kind = 'Statement' AND protocol = 'http' AND target = 'api' AND at >= $1 ORDER BY seq
            """, state);
        command.Parameters.Add(new NpgsqlParameter { Value = since });
        var records = new List<RequestRecord>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            records.Add(new RequestRecord(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.IsDBNull(4) ? "" : reader.GetString(4)));
        }

        return records;
    }

    /// <summary>Audit rows written since <paramref name="since"/> whose text (every column) holds <paramref name="text"/>.</summary>
    private async Task<long> AuditRowsHoldingAsync(DateTimeOffset since, string text)
    {
        await using var state = new NpgsqlConnection(fixture.Settings.StateConnectionString);
        await state.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM orleansgate_audit a WHERE a.at >= $1 AND position($2 in a::text) > 0", state);
        command.Parameters.Add(new NpgsqlParameter { Value = since });
        command.Parameters.Add(new NpgsqlParameter { Value = text });
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
