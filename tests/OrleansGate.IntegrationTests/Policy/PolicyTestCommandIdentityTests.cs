using OrleansGate.Host.Commands;

namespace OrleansGate.IntegrationTests.Policy;

/// <summary><c>policy test</c> with claims and issuer, and what it says about approve decisions (offline: no cluster, no target).</summary>
public sealed class PolicyTestCommandIdentityTests : IDisposable
{
    private const string Policy = """
        version: t2
        rules:
          - name: payments-read
            effect: allow
            reason: payments may read
            match: { issuers: ["https://idp.example.com/*"], claims: { team: payments }, kinds: [read] }
          - name: writes-need-approval
            effect: approve
            reason: writes need a human
            match: { kinds: [write] }
            approval: { approvers: { groups: [dba] } }
        """;

    private readonly string _file = Path.Combine(Path.GetTempPath(), $"policy-{Guid.NewGuid():N}.yaml");

    public void Dispose() => File.Delete(_file);

    [Fact]
    public async Task Claims_and_issuer_options_feed_the_rule_match()
    {
        await File.WriteAllTextAsync(_file, Policy);

        var matching = await RunAsync("--issuer", "https://idp.example.com/oauth2/default", "--claims", "team=payments", "--claims", "team=other", "--sql", "SELECT 1");
        var otherIssuer = await RunAsync("--issuer", "https://evil.example.com/", "--claims", "team=payments", "--sql", "SELECT 1");
        var noClaim = await RunAsync("--issuer", "https://idp.example.com/oauth2/default", "--sql", "SELECT 1");
        var malformed = await Assert.ThrowsAsync<CommandLineException>(() => RunAsync("--claims", "team", "--sql", "SELECT 1"));

        Assert.Equal(0, matching.Code);
        Assert.Contains("rule:     payments-read", matching.Out, StringComparison.Ordinal);
        Assert.Equal(2, otherIssuer.Code);
        Assert.Equal(2, noClaim.Code);
        Assert.Equal("--claims expects name=value, got 'team'", malformed.Message);
    }

    [Fact]
    public async Task Approve_decision_names_who_approves_and_how_the_agent_waits()
    {
        await File.WriteAllTextAsync(_file, Policy);

        var (code, output, _) = await RunAsync("--sql", "UPDATE orders SET status = 'x' WHERE id = 1");

        Assert.Equal(2, code);
        Assert.Contains("decision: approve", output, StringComparison.Ordinal);
        Assert.Contains("approval: 1 approval(s) from dba; the agent waits up to 10m; reuse none", output, StringComparison.Ordinal);
    }

    private async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await CommandLine.RunAsync(["policy", "test", "--policy", _file, "--subject", "a", "--target", "demo", .. args], stdout, stderr, CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
