using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using OrleansGate.Grains;
using OrleansGate.Host.Commands;
using OrleansGate.IntegrationTests.Approvals;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.IntegrationTests.Infrastructure;
using OrleansGate.IntegrationTests.Kubernetes;
using Xunit.Abstractions;

namespace OrleansGate.IntegrationTests.Ssh;

/// <summary>
/// The SSH path end to end: agents call <c>POST /api/exec</c> on the gateway's agent listener, the policy's <c>ssh:</c>
/// rules decide from every simple command of the line, and allowed commands run on a real OpenSSH server of the test's
/// own (<see cref="RealSshServer"/>, loopback, its own host key, the gateway's key authorized with a forced command that
/// records every command the host is asked to run). What the host never received proves what was never sent.
/// </summary>
[Collection(GatewayCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class SshThroughGatewayTests(GatewayFixture fixture, ITestOutputHelper output) : IAsyncLifetime
{
    private RealSshServer _host = null!;
    private KubectlGateway _gateway = null!;
    private HttpClient _http = null!;
    private string _data = "";

    [GeneratedRegex("apr-[0-9a-f]{20}")]
    private static partial Regex ApprovalId();

    public async Task InitializeAsync()
    {
        // A plain authorized key for a non-root login: the only set-up where OpenSSH lets a command be killed (see RealSshServer).
        _host = await RealSshServer.StartAsync(forcedCommand: false);
        _data = Path.Combine(_host.Directory, "data");
        Directory.CreateDirectory(_data);
        await File.WriteAllTextAsync(Path.Combine(_data, "app.log"), "starting\nerror: disk full\nok\n");
        await File.WriteAllTextAsync(Path.Combine(_data, "contact.txt"), "owner: alice@example.com\n");
        await File.WriteAllTextAsync(Path.Combine(_data, "stream.log"), "");
        var rules = $$"""
              - name: data-read
                effect: allow
                reason: agents read the data directory
                match: { targets: [web1, impostor, keyless], ssh: { commands: [ls, cat, grep, tail], args: ["-*", "{{_data}}", "{{_data}}/**", "error", "alice@example.com"] } }
              - name: no-shadow
                effect: deny
                reason: nobody reads the shadow file
                match: { targets: [web1], ssh: { args: ["/etc/shadow"] } }
              - name: uname-waits
                effect: approve
                reason: uname needs a human here
                match: { subjects: [{{GatewaySettings.AgentClientId}}], targets: [web1], ssh: { commands: [uname] } }
                approval: { approvers: { groups: [dba] }, mode: wait, timeout: 90s }
              - name: uname-retry
                effect: approve
                reason: uname is approved out of band
                match: { subjects: [{{GatewaySettings.OtherClientId}}], targets: [web1], ssh: { commands: [uname] } }
                approval: { approvers: { groups: [dba] }, mode: retry, timeout: 5m }
            masks:
              - name: output-pii
                match: { targets: [web1] }
                detectors: [email]
                method: redact
            """;
        var targets = string.Join("\n",
            _host.TargetYaml("web1"),
            _host.TargetYaml("impostor", hostKey: _host.OtherHostKeyFingerprint),
            _host.TargetYaml("keyless", keyFile: Path.Combine(_host.Directory, "no-such-key")));
        try
        {
            _gateway = await KubectlGateway.StartAsync(fixture, rules, _ => { }, targets);
        }
        catch
        {
            await _host.DisposeAsync(); // xunit calls no DisposeAsync when InitializeAsync throws: sshd must not outlive the test
            throw;
        }
        _http = _gateway.AgentHttpClient();
        _http.Timeout = TimeSpan.FromSeconds(120);
    }

    public async Task DisposeAsync()
    {
        _http?.Dispose();
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }

        await _host.DisposeAsync();
    }

    [Fact]
    public async Task An_allowed_command_runs_on_the_host_and_its_output_and_exit_status_come_back_and_the_audit_keeps_no_output()
    {
        var token = await fixture.Node.GetTokenAsync();
        var command = $"grep error {_data}/app.log";

        var answer = await SshAgent.ExecAsync(_http, token, "web1", command);

        Assert.True(answer.Status == 200, answer.ToString());
        Assert.Equal("error: disk full\n", answer.Stdout);
        Assert.Equal(0, answer.Exit);
        Assert.Equal(17, answer.Bytes);
        Assert.Equal([command], _host.CommandsReceived());
        var state = fixture.Settings.StateConnectionString;
        Assert.True(await AuditRows.CountAsync(state, "ssh:exec", command, "data-read") >= 1, "no record of the command");
        await Poll.UntilAsync(async () => await AuditRows.CountAsync(state, "exit 0", "bytes 17") >= 1, "no completion record with the exit status and bytes", seconds: 10);
        Assert.Equal(0, await AuditRows.CountAsync(state, "disk full"));
        Assert.Equal(0, await AuditRows.CountAsync(state, token));
    }

    [Fact]
    public async Task A_failing_command_gives_its_exit_status_and_stderr_apart()
    {
        var token = await fixture.Node.GetTokenAsync();

        var answer = await SshAgent.ExecAsync(_http, token, "web1", $"cat {_data}/missing.txt");

        Assert.True(answer.Status == 200, answer.ToString());
        Assert.Equal("", answer.Stdout);
        Assert.Contains("No such file or directory", answer.Stderr, StringComparison.Ordinal);
        Assert.Equal(1, answer.Exit);
    }

    [Fact]
    public async Task A_command_that_reads_stdin_sees_its_end_at_once()
    {
        var token = await fixture.Node.GetTokenAsync();

        var answer = await SshAgent.ExecAsync(_http, token, "web1", "cat", timeoutSeconds: 30);

        Assert.True(answer.Status == 200 && answer.Exit == 0 && answer.Error is null, answer.ToString());
        Assert.Equal("", answer.Stdout);
    }

    [Fact]
    public async Task Output_streams_as_the_command_writes_it_and_an_agent_that_goes_away_gets_the_command_killed()
    {
        var token = await fixture.Node.GetTokenAsync();
        var stream = Path.Combine(_data, "follow.log");
        await File.WriteAllTextAsync(stream, "one\n");
        var command = $"tail -f {stream}";

        using (var response = await SshAgent.SendAsync(_http, token, "web1", command, timeoutSeconds: 60))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            Assert.Contains("one", await ReadLineAsync(reader), StringComparison.Ordinal);
            await File.AppendAllTextAsync(stream, "two\n");
            Assert.Contains("two", await ReadLineAsync(reader), StringComparison.Ordinal);
            Assert.True(RunningOnHost(stream).Count > 0, "tail is not running on the host");
        }

        // The agent went: the command is killed on the host (SIGKILL by the SSH signal request, then the channel closed).
        var clock = Stopwatch.StartNew();
        await Poll.UntilAsync(() => Task.FromResult(RunningOnHost(stream).Count == 0), $"tail still runs on the host: {string.Join(", ", RunningOnHost(stream))}", seconds: 15);
        output.WriteLine($"the remote command was gone {clock.Elapsed.TotalMilliseconds:0} ms after the agent closed its request");
        await Poll.UntilAsync(async () => await AuditRows.CountAsync(fixture.Settings.StateConnectionString, "killed: the caller went away") >= 1, "no completion record of the kill", seconds: 10);
        Assert.Equal(0, await AuditRows.CountAsync(fixture.Settings.StateConnectionString, "did not confirm the kill"));
    }

    [Fact]
    public async Task A_command_over_its_time_limit_is_killed_and_the_answer_and_the_audit_say_so()
    {
        var token = await fixture.Node.GetTokenAsync();
        var stream = Path.Combine(_data, "slow.log");
        await File.WriteAllTextAsync(stream, "");

        var answer = await SshAgent.ExecAsync(_http, token, "web1", $"tail -f {stream}", timeoutSeconds: 1);

        Assert.True(answer.Status == 200, answer.ToString());
        Assert.Null(answer.Exit);
        Assert.Contains("time limit of 1 s reached", answer.Error, StringComparison.Ordinal);
        await Poll.UntilAsync(() => Task.FromResult(RunningOnHost(stream).Count == 0), "tail still runs on the host after its time limit", seconds: 15);
        await Poll.UntilAsync(async () => await AuditRows.CountAsync(fixture.Settings.StateConnectionString, "killed: time limit of 1 s reached") >= 1, "no completion record of the kill", seconds: 10);
    }

    [Fact]
    public async Task Output_over_the_cap_is_cut_at_the_cap_and_the_command_killed()
    {
        var token = await fixture.Node.GetTokenAsync();
        var big = Path.Combine(_data, "big.log");
        await File.WriteAllTextAsync(big, new string('x', 63) + "\n" is var line ? string.Concat(Enumerable.Repeat(line, 80 * 1024)) : ""); // 5 MiB
        const int cap = 4 * 1024 * 1024; // OrleansGate:Ssh:MaxOutputBytes, default

        var answer = await SshAgent.ExecAsync(_http, token, "web1", $"cat {big}");

        Assert.True(answer.Status == 200, $"{answer.Status}");
        Assert.True(answer.Truncated, "the answer does not say it was cut");
        Assert.Equal(cap, answer.Stdout.Length);
        Assert.Contains($"output over the cap of {cap} bytes", answer.Error, StringComparison.Ordinal);
        await Poll.UntilAsync(async () => await AuditRows.CountAsync(fixture.Settings.StateConnectionString, "killed: output over the cap") >= 1, "no completion record of the cut", seconds: 10);
    }

    [Fact]
    public async Task A_denied_command_gets_the_rules_reason_and_never_reaches_the_host()
    {
        var token = await fixture.Node.GetTokenAsync();
        var marker = _host.MarkerPath("denied");

        var shadow = await SshAgent.ExecAsync(_http, token, "web1", "cat /etc/shadow");
        var touch = await SshAgent.ExecAsync(_http, token, "web1", $"touch {marker}");

        Assert.Equal((403, "no-shadow"), (shadow.Status, shadow.Rule));
        Assert.Equal("denied by rule no-shadow: nobody reads the shadow file", shadow.Error);
        Assert.Equal((403, "default-deny"), (touch.Status, touch.Rule));
        Assert.Empty(_host.CommandsReceived());
        Assert.False(File.Exists(marker));
        Assert.True(await AuditRows.CountAsync(fixture.Settings.StateConnectionString, "ssh:exec", "cat /etc/shadow", "no-shadow", "Deny") >= 1);
    }

    [Fact]
    public async Task A_line_that_cannot_be_read_statically_is_refused_and_nothing_of_it_runs()
    {
        var token = await fixture.Node.GetTokenAsync();
        var marker = _host.MarkerPath("substituted");

        var answer = await SshAgent.ExecAsync(_http, token, "web1", $"cat {_data}/app.log $(touch {marker})");

        Assert.Equal((403, "gateway:unparsable"), (answer.Status, answer.Rule));
        Assert.Contains("refused, never guessed", answer.Error, StringComparison.Ordinal);
        Assert.Empty(_host.CommandsReceived());
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public async Task A_held_command_waits_for_its_approval_then_runs_once()
    {
        var token = await fixture.Node.GetTokenAsync();

        var running = SshAgent.ExecAsync(_http, token, "web1", "uname -s");
        var approval = await Approvals.PendingAsync("uname -s");
        var id = approval.GetProperty("id").GetString()!;
        Assert.Equal("uname-waits", approval.GetProperty("rule").GetString());
        Assert.False(running.IsCompleted, "the command did not wait for its approval");
        Assert.Empty(_host.CommandsReceived());

        var (status, _) = await Approvals.CallAsync(HttpMethod.Post, $"/api/approvals/{id}/approve", "bob", new { comment = "fine" });
        Assert.Equal(200, status);
        var answer = await running;

        Assert.True(answer.Status == 200, answer.ToString());
        Assert.Equal("Linux\n", answer.Stdout);
        Assert.Equal(["uname -s"], _host.CommandsReceived());
        Assert.True(await AuditRows.CountAsync(fixture.Settings.StateConnectionString, "ssh:exec", "uname -s", id, "Allow") >= 1, "no record names the approval");
    }

    [Fact]
    public async Task Retry_mode_refuses_naming_the_approval_and_the_same_command_runs_once_approved()
    {
        var token = await fixture.Node.GetTokenAsync(GatewaySettings.OtherClientId);

        var first = await SshAgent.ExecAsync(_http, token, "web1", "uname -r");
        Assert.Equal((403, "uname-retry"), (first.Status, first.Rule));
        Assert.Matches(ApprovalId(), first.Approval ?? "");
        Assert.Empty(_host.CommandsReceived());

        var (status, _) = await Approvals.CallAsync(HttpMethod.Post, $"/api/approvals/{first.Approval}/approve", "alice");
        Assert.Equal(200, status);
        var again = await SshAgent.ExecAsync(_http, token, "web1", "uname -r");

        Assert.True(again.Status == 200 && again.Exit == 0, again.ToString());
        Assert.Equal(["uname -r"], _host.CommandsReceived());
    }

    [Fact]
    public async Task A_host_whose_key_is_not_the_pinned_one_is_refused_before_the_command_is_sent()
    {
        var token = await fixture.Node.GetTokenAsync();

        var answer = await SshAgent.ExecAsync(_http, token, "impostor", $"ls {_data}");

        Assert.Equal(502, answer.Status);
        Assert.Contains($"presented host key {_host.HostKeyFingerprint}, not the pinned {_host.OtherHostKeyFingerprint}", answer.Error, StringComparison.Ordinal);
        Assert.Empty(_host.CommandsReceived());
        await Poll.UntilAsync(async () => await AuditRows.CountAsync(fixture.Settings.StateConnectionString, "not run:", "presented host key") >= 1, "no completion record of the refusal", seconds: 10);
    }

    [Fact]
    public async Task A_key_that_cannot_be_read_is_a_clear_error_naming_its_reference_and_nothing_runs()
    {
        var token = await fixture.Node.GetTokenAsync();

        var answer = await SshAgent.ExecAsync(_http, token, "keyless", $"ls {_data}");

        Assert.Equal(502, answer.Status);
        Assert.Contains("the gateway's key could not be read (key_file", answer.Error, StringComparison.Ordinal);
        Assert.Empty(_host.CommandsReceived());
    }

    [Fact]
    public async Task Detector_finds_are_masked_in_the_output_and_in_the_audits_copy_of_the_command()
    {
        var token = await fixture.Node.GetTokenAsync();

        var cat = await SshAgent.ExecAsync(_http, token, "web1", $"cat {_data}/contact.txt");
        var grep = await SshAgent.ExecAsync(_http, token, "web1", $"grep alice@example.com {_data}/contact.txt");

        Assert.True(cat.Status == 200, cat.ToString());
        Assert.Equal("owner: [email]\n", cat.Stdout);
        Assert.Equal("owner: [email]\n", grep.Stdout);
        Assert.DoesNotContain("alice@example.com", cat.Raw + grep.Raw, StringComparison.Ordinal);
        var state = fixture.Settings.StateConnectionString;
        Assert.True(await AuditRows.CountAsync(state, $"grep [email] {_data}/contact.txt") >= 1, "the audit does not keep the redacted command");
        await Poll.UntilAsync(async () => await AuditRows.CountAsync(state, "values in output") >= 2, "no completion record counts the masked values", seconds: 10);
        Assert.Equal(0, await AuditRows.CountAsync(state, "alice@example.com"));
    }

    [Fact]
    public async Task Revoking_the_agent_kills_its_running_command_within_a_second()
    {
        var token = await fixture.Node.GetTokenAsync(GatewaySettings.RevocableClientId);
        var stream = Path.Combine(_data, "revoked.log");
        await File.WriteAllTextAsync(stream, "one\n");
        using var response = await SshAgent.SendAsync(_http, token, "web1", $"tail -f {stream}", timeoutSeconds: 60);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.Contains("one", await ReadLineAsync(reader), StringComparison.Ordinal);
        var agent = _gateway.Node.Services.GetRequiredService<IGrainFactory>().GetGrain<IAgentGrain>($"{fixture.Settings.Issuer}|{GatewaySettings.RevocableClientId}");

        var clock = Stopwatch.StartNew();
        Assert.Equal(1, await agent.Revoke("ssh revocation test"));
        var rest = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10));
        output.WriteLine($"revocation: the command's answer ended {clock.Elapsed.TotalMilliseconds:0.0} ms after Revoke was called");

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"the answer ended after {clock.Elapsed.TotalMilliseconds:0} ms");
        Assert.Contains("agent revoked", rest, StringComparison.Ordinal);
        await Poll.UntilAsync(() => Task.FromResult(RunningOnHost(stream).Count == 0), "tail still runs on the host after the revocation", seconds: 15);
        var refused = await SshAgent.ExecAsync(_http, token, "web1", $"ls {_data}");
        Assert.Equal(403, refused.Status);
        Assert.Contains("agent revoked", refused.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("none")]
    [InlineData("forged")]
    [InlineData("not-json")]
    [InlineData("unknown-key")]
    [InlineData("no-target")]
    [InlineData("unknown-target")]
    [InlineData("get")]
    [InlineData("huge-command")]
    public async Task Bad_requests_get_a_clear_error_and_nothing_reaches_the_host(string kind)
    {
        var token = await fixture.Node.GetTokenAsync();
        var ls = $"ls {_data}";
        var (method, body, bearer, status, says) = kind switch
        {
            "none" => (HttpMethod.Post, Json(new { target = "web1", command = ls }), null, 401, "a bearer token is required"),
            "forged" => (HttpMethod.Post, Json(new { target = "web1", command = ls }), Forge(token), 401, "the token was refused"),
            "not-json" => (HttpMethod.Post, "target=web1", token, 400, "the body is not JSON"),
            "unknown-key" => (HttpMethod.Post, Json(new { target = "web1", command = ls, shell = "bash" }), token, 400, "unknown key 'shell'"),
            "no-target" => (HttpMethod.Post, Json(new { command = ls }), token, 400, "'target' is missing"),
            "unknown-target" => (HttpMethod.Post, Json(new { target = "web2", command = ls }), token, 404, "no ssh target named 'web2'"),
            "get" => (HttpMethod.Get, "", token, 405, "takes POST"),
            _ => (HttpMethod.Post, Json(new { target = "web1", command = "ls " + new string('a', 20_000) }), token, 413, "over the gateway's cap"),
        };
        using var request = new HttpRequestMessage(method, "/api/exec");
        if (method == HttpMethod.Post)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();

        Assert.True((int)response.StatusCode == status, $"{(int)response.StatusCode}: {text}");
        Assert.Contains(says, text, StringComparison.Ordinal);
        Assert.DoesNotContain(token, text, StringComparison.Ordinal);
        if (status == 401)
        {
            Assert.StartsWith("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        }

        Assert.Empty(_host.CommandsReceived());
    }

    [Fact]
    public async Task The_orleansgate_exec_command_runs_a_command_with_the_agents_token_and_exits_with_its_status()
    {
        var files = Directory.CreateTempSubdirectory("orleansgate-exec-cli-").FullName;
        var tokenFile = Path.Combine(files, "token");
        await File.WriteAllTextAsync(tokenFile, await fixture.Node.GetTokenAsync());
        var ca = Path.Combine(files, "ca.pem");
        await File.WriteAllTextAsync(ca, _gateway.GatewayCa);
        string[] Args(params string[] command) =>
            ["exec", "web1", "--url", $"https://127.0.0.1:{_gateway.AgentPort}", "--ca-file", ca, "--token-file", tokenFile, "--", .. command];

        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var ok = await CommandLine.RunAsync(Args("grep", "error", $"{_data}/app.log"), stdout, stderr, CancellationToken.None);
        using var refusedErr = new StringWriter();
        var refused = await CommandLine.RunAsync(Args("cat", "/etc/shadow"), TextWriter.Null, refusedErr, CancellationToken.None);
        using var failedErr = new StringWriter();
        var failed = await CommandLine.RunAsync(Args("cat", $"{_data}/missing.txt"), TextWriter.Null, failedErr, CancellationToken.None);

        Assert.True(ok == 0, stderr.ToString());
        Assert.Equal("error: disk full\n", stdout.ToString());
        Assert.Equal(SshExecCommand.GatewayError, refused);
        Assert.Contains("refused (403): denied by rule no-shadow", refusedErr.ToString(), StringComparison.Ordinal);
        Assert.Equal(1, failed);
        Assert.Contains("No such file or directory", failedErr.ToString(), StringComparison.Ordinal);
        Assert.Equal([$"grep error {_data}/app.log", $"cat {_data}/missing.txt"], _host.CommandsReceived());
    }

    /// <summary>The next line of the NDJSON answer (bounded: the test fails rather than hangs).</summary>
    private static async Task<string> ReadLineAsync(StreamReader reader) =>
        await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20)) ?? throw new InvalidOperationException("the answer ended");

    /// <summary>Processes on this machine (the host is loopback) whose argv is <c>tail -f PATH</c>.</summary>
    private static List<int> RunningOnHost(string path)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                var argv = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0', StringSplitOptions.RemoveEmptyEntries);
                if (argv.Length >= 3 && argv[0].EndsWith("tail", StringComparison.Ordinal) && argv[1] == "-f" && argv[2] == path)
                {
                    found.Add(pid);
                }
            }
            catch (IOException)
            {
                // gone meanwhile
            }
            catch (UnauthorizedAccessException)
            {
                // not ours to read
            }
        }

        return found;
    }

    private ApprovalsApiClient Approvals => new(fixture, _gateway.Node);

    private static string Json(object value) => JsonSerializer.Serialize(value);

    /// <summary>The token with its signature's first character changed: well-formed, not valid.</summary>
    private static string Forge(string token)
    {
        var dot = token.LastIndexOf('.') + 1;
        return token[..dot] + (token[dot] == 'A' ? 'B' : 'A') + token[(dot + 1)..];
    }
}
