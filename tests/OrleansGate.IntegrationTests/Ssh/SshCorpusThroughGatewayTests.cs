using System.Text.RegularExpressions;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.IntegrationTests.Kubernetes;
using OrleansGate.Policy.Tests.Shell;
using Xunit.Abstractions;

namespace OrleansGate.IntegrationTests.Ssh;

/// <summary>
/// The shell classifier's corpus (<see cref="SshCorpus"/>: a rule that allows only <c>ls</c>, <c>cat</c> and <c>grep</c>
/// under /var/log) sent through the gateway's <c>POST /api/exec</c> to a real OpenSSH server: every bypass is refused
/// and none reaches the host (its own record of what it was asked to run stays empty, and no marker file appears);
/// every legitimate line is allowed and runs there.
/// </summary>
[Collection(GatewayCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class SshCorpusThroughGatewayTests(GatewayFixture fixture, ITestOutputHelper output) : IAsyncLifetime
{
    private RealSshServer _host = null!;
    private KubectlGateway _gateway = null!;
    private HttpClient _http = null!;

    [GeneratedRegex("og-marker-[0-9]+")]
    private static partial Regex Marker();

    public async Task InitializeAsync()
    {
        _host = await RealSshServer.StartAsync(forcedCommand: false);
        try
        {
            _gateway = await KubectlGateway.StartWithPolicyAsync(fixture, SshCorpus.Policy(_host.Host, _host.Port, _host.User, _host.HostKeyFingerprint, _host.ClientPrivateKeyPath));
        }
        catch
        {
            await _host.DisposeAsync(); // xunit calls no DisposeAsync when InitializeAsync throws: sshd must not outlive the test
            throw;
        }

        _http = _gateway.AgentHttpClient();
        _http.Timeout = TimeSpan.FromSeconds(60);
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
    public async Task Every_bypass_attempt_is_refused_and_none_reaches_the_host()
    {
        Assert.True(SshCorpus.Bypasses.Count >= 60, $"the corpus has {SshCorpus.Bypasses.Count} bypass attempts");
        var markers = SshCorpus.Bypasses.SelectMany(line => Marker().Matches(line).Select(m => Path.Combine("/tmp", m.Value))).Distinct().ToList();
        foreach (var marker in markers)
        {
            File.Delete(marker); // left by something else: the test must see only what this run makes
        }

        var token = await fixture.Node.GetTokenAsync();
        var allowed = new List<string>();
        var statuses = new Dictionary<int, int>();
        foreach (var line in SshCorpus.Bypasses)
        {
            var answer = await SshAgent.ExecAsync(_http, token, SshCorpus.Target, line);
            statuses[answer.Status] = statuses.GetValueOrDefault(answer.Status) + 1;
            if (answer.Status is not (403 or 400))
            {
                allowed.Add($"{Escape(line)} -> {answer}");
            }
        }

        output.WriteLine($"{SshCorpus.Bypasses.Count} bypass attempts: " + string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Value} x {s.Key}")));
        Assert.True(allowed.Count == 0, "not refused:\n" + string.Join("\n", allowed));
        Assert.Empty(_host.CommandsReceived());
        Assert.DoesNotContain(markers, File.Exists);
    }

    [Fact]
    public async Task Every_legitimate_command_is_allowed_and_runs_on_the_host()
    {
        Assert.True(SshCorpus.Legitimate.Count >= 20, $"the corpus has {SshCorpus.Legitimate.Count} legitimate lines");
        var token = await fixture.Node.GetTokenAsync();
        var refused = new List<string>();
        foreach (var line in SshCorpus.Legitimate)
        {
            var answer = await SshAgent.ExecAsync(_http, token, SshCorpus.Target, line);
            if (answer.Status != 200 || (answer.Exit is null && answer.Error is not null))
            {
                refused.Add($"{Escape(line)} -> {answer}");
            }
        }

        Assert.True(refused.Count == 0, "refused or not run:\n" + string.Join("\n", refused));
        Assert.Equal(SshCorpus.Legitimate, _host.CommandsReceived());
        output.WriteLine($"{SshCorpus.Legitimate.Count} legitimate lines allowed and run on the host");
    }

    private static string Escape(string line) => line.Replace("\n", "\\n", StringComparison.Ordinal).Replace("\0", "\\0", StringComparison.Ordinal);
}
